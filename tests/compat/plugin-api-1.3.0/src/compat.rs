//! Frozen ABI descriptions of earlier plugin-api minors, for hosts: how a host built with this
//! crate loads a plugin built against an *older* minor.
//!
//! Plugins never use this module.
//!
//! # Why it exists
//!
//! abi_stable's layout check assumes the loading side may have *fewer* prefix fields than the
//! library (a host reading an older library's root module would otherwise read fields that do
//! not exist). [`HostContext`](crate::HostContext) goes the other way: the host builds the
//! vtable and the plugin reads it, so a newer host's longer vtable is always safe for an
//! older plugin — but abi_stable cannot know the direction and refuses it ("too many
//! fields"). So the host checks an older plugin against that plugin's own frozen layout
//! (this module, same type names, same package), then views the checked module as the
//! current [`PluginModRef`](crate::PluginModRef) with [`v1_0::upgrade`] (and [`v1_1::upgrade`] for 1.1, [`v1_2::upgrade`] for 1.2): the root module's
//! fields are unchanged and the vtable it will be handed is a superset of the one it knows.
//!
//! Every item here is frozen: the ABI golden file covers it too.

/// Plugin API 1.0.0: the `HostContext` of 1.0 (ends at `cache_put`) and the root module.
#[allow(non_local_definitions, missing_docs)] // emitted by `#[sabi_trait]`
pub mod v1_0 {
    use abi_stable::{
        declare_root_module_statics,
        library::RootModule,
        package_version_strings,
        prefix_type::{PrefixRef, WithMetadata_},
        sabi_trait,
        sabi_types::VersionStrings,
        std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
        StableAbi,
    };

    use crate::abi::{
        DirEntry, ExecOutput, ExecRequest, Facts, FileInfo, Finding, LogLevel, PluginManifest,
        ProbeError, RunOptions,
    };

    /// The 1.0.0 host context, method for method (frozen).
    #[sabi_trait]
    pub trait HostContext: Send + Sync {
        fn facts(&self) -> Facts;
        fn options(&self) -> RunOptions;
        fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError>;
        fn sysctl(&self, name: RStr<'_>) -> RResult<RString, ProbeError>;
        fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError>;
        fn read_dir(&self, path: RStr<'_>) -> RResult<RVec<DirEntry>, ProbeError>;
        fn file_info(&self, path: RStr<'_>) -> RResult<FileInfo, ProbeError>;
        fn env(&self, name: RStr<'_>) -> ROption<RString>;
        fn which(&self, name: RStr<'_>) -> RVec<RString>;
        fn make_temp_dir(&self) -> RResult<RString, ProbeError>;
        fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError>;
        fn progress(&self, message: RStr<'_>);
        fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>);
        fn cache_get(&self, key: RStr<'_>) -> ROption<RString>;
        #[sabi(last_prefix_field)]
        fn cache_put(&self, key: RStr<'_>, value: RStr<'_>);
    }

    /// The 1.0.0 context as plugins receive it.
    pub type HostContextRef<'a> = HostContext_TO<'a, abi_stable::sabi_types::RRef<'a, ()>>;

    /// The 1.0.0 root module (frozen).
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
    #[sabi(missing_field(panic))]
    pub struct PluginMod {
        pub manifest: extern "C" fn() -> PluginManifest,
        #[sabi(last_prefix_field)]
        pub run:
            extern "C" fn(ctx: HostContextRef<'_>, selection: RSlice<'_, RString>) -> RVec<Finding>,
    }

    impl RootModule for PluginModRef {
        declare_root_module_statics! {PluginModRef}
        const BASE_NAME: &'static str = "gohost_plugin";
        const NAME: &'static str = "gohost plugin (API 1.0)";
        const VERSION_STRINGS: VersionStrings = package_version_strings!();
    }

    /// View a layout-checked 1.0 root module as the current [`crate::PluginModRef`].
    ///
    /// Sound because the two modules differ only in the vtable type inside `run`'s first
    /// parameter, and the current vtable is the 1.0 vtable with methods appended after its
    /// `last_prefix_field`: the 1.0 plugin reads exactly the prefix it knows.
    pub fn upgrade(module: PluginModRef) -> crate::PluginModRef {
        let raw = module.0.to_raw_ptr();
        // SAFETY: `raw` comes from a live, 'static, layout-checked prefix reference; the
        // pointee layouts agree field for field (see above), and abi_stable never unloads.
        unsafe {
            crate::PluginModRef(PrefixRef::from_raw(
                raw.cast::<WithMetadata_<crate::abi::PluginMod_Prefix, crate::abi::PluginMod_Prefix>>(),
            ))
        }
    }
}

/// Plugin API 1.1.0: the `HostContext` of 1.1 (1.0 plus `http_get`) and the root module.
#[allow(non_local_definitions, missing_docs)] // emitted by `#[sabi_trait]`
pub mod v1_1 {
    use abi_stable::{
        declare_root_module_statics,
        library::RootModule,
        package_version_strings,
        prefix_type::{PrefixRef, WithMetadata_},
        sabi_trait,
        sabi_types::VersionStrings,
        std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
        StableAbi,
    };

    use crate::abi::{
        DirEntry, ExecOutput, ExecRequest, Facts, FileInfo, Finding, HttpResponse, LogLevel,
        PluginManifest, ProbeError, ProbeErrorKind, RunOptions,
    };

    /// The 1.1.0 host context, method for method (frozen).
    #[sabi_trait]
    pub trait HostContext: Send + Sync {
        fn facts(&self) -> Facts;
        fn options(&self) -> RunOptions;
        fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError>;
        fn sysctl(&self, name: RStr<'_>) -> RResult<RString, ProbeError>;
        fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError>;
        fn read_dir(&self, path: RStr<'_>) -> RResult<RVec<DirEntry>, ProbeError>;
        fn file_info(&self, path: RStr<'_>) -> RResult<FileInfo, ProbeError>;
        fn env(&self, name: RStr<'_>) -> ROption<RString>;
        fn which(&self, name: RStr<'_>) -> RVec<RString>;
        fn make_temp_dir(&self) -> RResult<RString, ProbeError>;
        fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError>;
        fn progress(&self, message: RStr<'_>);
        fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>);
        fn cache_get(&self, key: RStr<'_>) -> ROption<RString>;
        #[sabi(last_prefix_field)]
        fn cache_put(&self, key: RStr<'_>, value: RStr<'_>);
        fn http_get(
            &self,
            url: RStr<'_>,
            timeout_ms: u64,
            max_bytes: u64,
        ) -> RResult<HttpResponse, ProbeError> {
            let _ = (url, timeout_ms, max_bytes);
            RResult::RErr(ProbeError {
                kind: ProbeErrorKind::Unsupported,
                message: "this host context has no http_get (it predates plugin API 1.1.0)".into(),
            })
        }
    }

    /// The 1.1.0 context as plugins receive it.
    pub type HostContextRef<'a> = HostContext_TO<'a, abi_stable::sabi_types::RRef<'a, ()>>;

    /// The 1.1.0 root module (frozen).
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
    #[sabi(missing_field(panic))]
    pub struct PluginMod {
        pub manifest: extern "C" fn() -> PluginManifest,
        #[sabi(last_prefix_field)]
        pub run:
            extern "C" fn(ctx: HostContextRef<'_>, selection: RSlice<'_, RString>) -> RVec<Finding>,
    }

    impl RootModule for PluginModRef {
        declare_root_module_statics! {PluginModRef}
        const BASE_NAME: &'static str = "gohost_plugin";
        const NAME: &'static str = "gohost plugin (API 1.1)";
        const VERSION_STRINGS: VersionStrings = package_version_strings!();
    }

    /// View a layout-checked 1.1 root module as the current [`crate::PluginModRef`].
    ///
    /// Sound because the two modules differ only in the vtable type inside `run`'s first
    /// parameter, and the current vtable is the 1.1 vtable with methods appended after `http_get`: the 1.1
    /// plugin reads exactly the prefix it knows.
    pub fn upgrade(module: PluginModRef) -> crate::PluginModRef {
        let raw = module.0.to_raw_ptr();
        // SAFETY: `raw` comes from a live, 'static, layout-checked prefix reference; the
        // pointee layouts agree field for field (see above), and abi_stable never unloads.
        unsafe {
            crate::PluginModRef(PrefixRef::from_raw(
                raw.cast::<WithMetadata_<crate::abi::PluginMod_Prefix, crate::abi::PluginMod_Prefix>>(),
            ))
        }
    }
}

/// Plugin API 1.2.0: the `HostContext` of 1.2 (1.1 plus `env_answer`, `which_answer`,
/// `read_file_at`) and the root module.
#[allow(non_local_definitions, missing_docs)] // emitted by `#[sabi_trait]`
pub mod v1_2 {
    use abi_stable::{
        declare_root_module_statics,
        library::RootModule,
        package_version_strings,
        prefix_type::{PrefixRef, WithMetadata_},
        sabi_trait,
        sabi_types::VersionStrings,
        std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
        StableAbi,
    };

    use crate::abi::{
        DirEntry, ExecOutput, ExecRequest, Facts, FileInfo, Finding, HttpResponse, LogLevel,
        PluginManifest, ProbeError, ProbeErrorKind, RunOptions,
    };

    /// The 1.2.0 host context, method for method (frozen).
    #[sabi_trait]
    pub trait HostContext: Send + Sync {
        fn facts(&self) -> Facts;
        fn options(&self) -> RunOptions;
        fn exec(&self, request: ExecRequest) -> RResult<ExecOutput, ProbeError>;
        fn sysctl(&self, name: RStr<'_>) -> RResult<RString, ProbeError>;
        fn read_file(&self, path: RStr<'_>, max_bytes: u64) -> RResult<RVec<u8>, ProbeError>;
        fn read_dir(&self, path: RStr<'_>) -> RResult<RVec<DirEntry>, ProbeError>;
        fn file_info(&self, path: RStr<'_>) -> RResult<FileInfo, ProbeError>;
        fn env(&self, name: RStr<'_>) -> ROption<RString>;
        fn which(&self, name: RStr<'_>) -> RVec<RString>;
        fn make_temp_dir(&self) -> RResult<RString, ProbeError>;
        fn write_file(&self, path: RStr<'_>, contents: RSlice<'_, u8>) -> RResult<(), ProbeError>;
        fn progress(&self, message: RStr<'_>);
        fn log(&self, level: LogLevel, target: RStr<'_>, message: RStr<'_>);
        fn cache_get(&self, key: RStr<'_>) -> ROption<RString>;
        #[sabi(last_prefix_field)]
        fn cache_put(&self, key: RStr<'_>, value: RStr<'_>);
        fn http_get(
            &self,
            url: RStr<'_>,
            timeout_ms: u64,
            max_bytes: u64,
        ) -> RResult<HttpResponse, ProbeError> {
            let _ = (url, timeout_ms, max_bytes);
            RResult::RErr(ProbeError {
                kind: ProbeErrorKind::Unsupported,
                message: "this host context has no http_get (it predates plugin API 1.1.0)".into(),
            })
        }
        fn env_answer(&self, name: RStr<'_>) -> RResult<ROption<RString>, ProbeError> {
            RResult::ROk(self.env(name))
        }
        fn which_answer(&self, name: RStr<'_>) -> RResult<RVec<RString>, ProbeError> {
            RResult::ROk(self.which(name))
        }
        fn read_file_at(
            &self,
            path: RStr<'_>,
            offset: u64,
            max_bytes: u64,
        ) -> RResult<RVec<u8>, ProbeError> {
            let end = offset.saturating_add(max_bytes.max(1));
            match self.read_file(path, end) {
                RResult::ROk(bytes) => {
                    let start = usize::try_from(offset)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    RResult::ROk(bytes[start..].to_vec().into())
                }
                RResult::RErr(e) => RResult::RErr(e),
            }
        }
    }

    /// The 1.2.0 context as plugins receive it.
    pub type HostContextRef<'a> = HostContext_TO<'a, abi_stable::sabi_types::RRef<'a, ()>>;

    /// The 1.2.0 root module (frozen).
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
    #[sabi(missing_field(panic))]
    pub struct PluginMod {
        pub manifest: extern "C" fn() -> PluginManifest,
        #[sabi(last_prefix_field)]
        pub run:
            extern "C" fn(ctx: HostContextRef<'_>, selection: RSlice<'_, RString>) -> RVec<Finding>,
    }

    impl RootModule for PluginModRef {
        declare_root_module_statics! {PluginModRef}
        const BASE_NAME: &'static str = "gohost_plugin";
        const NAME: &'static str = "gohost plugin (API 1.2)";
        const VERSION_STRINGS: VersionStrings = package_version_strings!();
    }

    /// View a layout-checked 1.2 root module as the current [`crate::PluginModRef`].
    ///
    /// Sound because the two modules differ only in the vtable type inside `run`'s first
    /// parameter, and the current vtable is the 1.2 vtable with methods appended after `read_file_at`:
    /// the 1.2 plugin reads exactly the prefix it knows.
    pub fn upgrade(module: PluginModRef) -> crate::PluginModRef {
        let raw = module.0.to_raw_ptr();
        // SAFETY: `raw` comes from a live, 'static, layout-checked prefix reference; the
        // pointee layouts agree field for field (see above), and abi_stable never unloads.
        unsafe {
            crate::PluginModRef(PrefixRef::from_raw(
                raw.cast::<WithMetadata_<crate::abi::PluginMod_Prefix, crate::abi::PluginMod_Prefix>>(),
            ))
        }
    }
}
