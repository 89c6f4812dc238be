//! Test fixture: claims plugin API major 99. The host must refuse it from the plain version
//! symbol alone, before abi_stable looks at anything.
use gohost_plugin_api::AbiVersionTag;

#[no_mangle]
#[used]
pub static GOHOST_PLUGIN_ABI: AbiVersionTag = AbiVersionTag {
    magic: AbiVersionTag::MAGIC,
    major: 99,
    minor: 0,
    patch: 0,
    reserved: 0,
};
