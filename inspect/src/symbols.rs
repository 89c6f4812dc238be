//! The scan of a Mach-O or ELF image's exported symbols for the two a gohost plugin must
//! export: the `GOHOST_PLUGIN_ABI` version tag (whose bytes are decoded from the file, never
//! by loading it) and abi_stable's root-module loader. Not a general symbol reader.

use gohost_plugin_api::AbiVersionTag;
use object::{Object, ObjectSection, ObjectSymbol};

pub(crate) struct SymbolScan {
    abi_name: String,
    root_name: String,
    pub(crate) tag: Option<AbiVersionTag>,
    pub(crate) tag_unreadable: bool,
    pub(crate) root_module: bool,
}

impl SymbolScan {
    pub(crate) fn new(abi_name: String, root_name: String) -> SymbolScan {
        SymbolScan {
            abi_name,
            root_name,
            tag: None,
            tag_unreadable: false,
            root_module: false,
        }
    }

    pub(crate) fn visit<'data, O, S>(&mut self, file: &O, symbol: &S, little_endian: bool)
    where
        O: Object<'data>,
        S: ObjectSymbol<'data>,
    {
        let Ok(name) = symbol.name_bytes() else {
            return;
        };
        if name == self.root_name.as_bytes() {
            self.root_module = true;
        } else if name == self.abi_name.as_bytes() && self.tag.is_none() {
            let tag = symbol_data(file, symbol, AbiVersionTag::SIZE as u64)
                .and_then(|bytes| AbiVersionTag::from_bytes(bytes, little_endian));
            self.tag = tag;
            self.tag_unreadable = tag.is_none();
        }
    }
}

/// The file bytes backing `size` bytes at the symbol's address, if it lives in a section
/// with file data.
fn symbol_data<'data, O, S>(file: &O, symbol: &S, size: u64) -> Option<&'data [u8]>
where
    O: Object<'data>,
    S: ObjectSymbol<'data>,
{
    let index = symbol.section_index()?;
    let section = file.section_by_index(index).ok()?;
    section.data_range(symbol.address(), size).ok().flatten()
}
