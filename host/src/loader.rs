//! Loading one plugin file in this process: inspect it without running its code, read the
//! plain version symbol with `libloading`, then hand it to abi_stable's checked loader.
//!
//! The file is opened once ([`OpenedFile`]: `O_NOFOLLOW`, checked against the identity
//! discovery recorded); inspection reads that descriptor and `dlopen` maps that descriptor,
//! so a path swapped after the checks cannot bring in another file.
//!
//! Loaded libraries are never unloaded (abi_stable leaks them on purpose: code and statics
//! of a plugin may still be referenced by values it returned).

use std::path::{Path, PathBuf};

use gohost_plugin_api::abi_stable::library::lib_header_from_path;
use gohost_plugin_api::{AbiVersionTag, PluginManifest, PluginModRef, ABI_VERSION_SYMBOL};

use crate::sys::{FileIdentity, OpenedFile, TrustError};
use gohost_inspect as inspect;

/// A plugin loaded into this process.
pub struct LoadedPlugin {
    pub path: PathBuf,
    pub tag: AbiVersionTag,
    pub module: PluginModRef,
    pub manifest: PluginManifest,
}

/// Why a plugin file could not be loaded. One line, naming the reason and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Inspect(#[from] inspect::InspectError),
    #[error("{0}")]
    Trust(#[from] TrustError),
    #[error("{0}")]
    Version(String),
    #[error("dlopen failed: {0}")]
    Dlopen(String),
    #[error("abi_stable refused the plugin: {0}")]
    Abi(String),
    #[error("the file name promises plugin `{expected}` but the plugin calls itself `{actual}`; rename the file to libgohost_plugin_{actual_file}.{ext}")]
    NameMismatch {
        expected: String,
        actual: String,
        actual_file: String,
        ext: &'static str,
    },
    #[error("invalid plugin: {0}")]
    Invalid(String),
}

/// Inspect the opened file and check its version tag against this host, without running
/// plugin code.
fn preflight(opened: &OpenedFile) -> Result<AbiVersionTag, LoadError> {
    let bytes = opened.read_all()?;
    let inspection = inspect::inspect_bytes(&bytes)?;
    let tag = inspection.check_loadable_here()?;
    AbiVersionTag::CURRENT
        .accepts(&tag)
        .map_err(|m| LoadError::Version(m.to_string()))?;
    Ok(tag)
}

/// Load a plugin file into this process. With `identity` (what discovery checked), only that
/// very file is loaded; a file changed or replaced since is refused.
pub fn load(
    path: &Path,
    identity: Option<&FileIdentity>,
    expected_name: Option<&str>,
) -> Result<LoadedPlugin, LoadError> {
    let opened = OpenedFile::open(path, identity)?;
    let file_tag = preflight(&opened)?;
    let dl_name = opened.dlopen_name()?;

    // The tag again, through the dynamic loader this time: what the file says and what the
    // loaded image says must agree (a file can lie about symbol addresses, a loaded image can't).
    // SAFETY: loading a library runs its initializers; the file passed inspection and trust
    // checks first, and workers isolate the rest.
    let library = unsafe { libloading::Library::new(&dl_name) }
        .map_err(|e| LoadError::Dlopen(e.to_string()))?;
    // The library is never unloaded, and its name may be `/proc/self/fd/N`: the descriptor
    // lives as long so that N is never reused for another file under the same name.
    std::mem::forget(opened);
    // SAFETY: the symbol is a `#[no_mangle] static AbiVersionTag` in every plugin; its layout
    // is frozen (see AbiVersionTag).
    let loaded_tag = unsafe {
        let symbol = library
            .get::<*const AbiVersionTag>(ABI_VERSION_SYMBOL.as_bytes())
            .map_err(|e| LoadError::Invalid(format!("no {ABI_VERSION_SYMBOL} symbol: {e}")))?;
        std::ptr::read_unaligned(*symbol)
    };
    if loaded_tag != file_tag {
        return Err(LoadError::Invalid(format!(
            "the version symbol in the file ({file_tag}) differs from the loaded one ({loaded_tag})"
        )));
    }
    AbiVersionTag::CURRENT
        .accepts(&loaded_tag)
        .map_err(|m| LoadError::Version(m.to_string()))?;
    // abi_stable keeps its own handle; ours can go (the library stays loaded).
    std::mem::forget(library);

    // The same name as above: the dynamic loader hands abi_stable the library already loaded
    // (glibc and dyld match an already-loaded name before opening anything).
    let header =
        lib_header_from_path(&dl_name).map_err(|e| LoadError::Abi(first_lines(&e.to_string())))?;
    let module = init_module(header, &loaded_tag)?;
    let manifest = (module.manifest())();
    if let Some(problem) = gohost_plugin_api::check::plugin_name_problem(&manifest.name) {
        return Err(LoadError::Invalid(problem));
    }
    if let Some(expected) = expected_name {
        if expected != manifest.name.as_str() {
            let ext = if path.extension().is_some_and(|e| e == "dylib") {
                "dylib"
            } else {
                "so"
            };
            return Err(LoadError::NameMismatch {
                expected: expected.to_owned(),
                actual: manifest.name.to_string(),
                actual_file: manifest.name.replace('-', "_"),
                ext,
            });
        }
    }
    Ok(LoadedPlugin {
        path: path.to_path_buf(),
        tag: loaded_tag,
        module,
        manifest,
    })
}

/// Check the plugin's layout against the plugin-api minor it was built for, and return it as
/// the current root module.
///
/// abi_stable refuses a newer host's longer `HostContext` vtable for an older plugin ("too
/// many fields") although the plugin only reads the prefix it knows; so an older minor is
/// checked against its frozen layout (`gohost_plugin_api::compat`) instead of the current one.
fn init_module(
    header: &abi_stable::library::LibHeader,
    tag: &AbiVersionTag,
) -> Result<PluginModRef, LoadError> {
    let abi = |e: abi_stable::library::LibraryError| LoadError::Abi(first_lines(&e.to_string()));
    match tag.minor {
        0 => header
            .init_root_module::<gohost_plugin_api::compat::v1_0::PluginModRef>()
            .map(gohost_plugin_api::compat::v1_0::upgrade)
            .map_err(abi),
        1 => header
            .init_root_module::<gohost_plugin_api::compat::v1_1::PluginModRef>()
            .map(gohost_plugin_api::compat::v1_1::upgrade)
            .map_err(abi),
        2 => header
            .init_root_module::<gohost_plugin_api::compat::v1_2::PluginModRef>()
            .map(gohost_plugin_api::compat::v1_2::upgrade)
            .map_err(abi),
        3 => header
            .init_root_module::<gohost_plugin_api::compat::v1_3::PluginModRef>()
            .map(gohost_plugin_api::compat::v1_3::upgrade)
            .map_err(abi),
        _ => header.init_root_module::<PluginModRef>().map_err(abi),
    }
}

/// abi_stable's layout errors run to pages; a user needs the gist (the whole text is logged
/// at debug level: `gohost -vv`).
fn first_lines(text: &str) -> String {
    tracing::debug!("abi_stable's full error:\n{text}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect();
    lines.join(" / ")
}
