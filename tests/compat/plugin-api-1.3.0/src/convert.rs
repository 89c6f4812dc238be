//! Probe answers from their Rust form to the ABI's: what an implementation of
//! [`HostContext`](crate::HostContext) returns, written once for the host's context
//! (`gohost`'s `HostCtx`, over its probe backends) and the test harness's
//! ([`testing::TestContext`](crate::testing), over a [`Replayer`](crate::snapshot::Replayer)).
//!
//! Plain Rust: a trait and its impls, no `#[repr(C)]` or `StableAbi` type, so nothing here is
//! part of the ABI's layout. Plugins do not need it (they read answers through `Ctx`).

use abi_stable::std_types::{ROption, RResult, RString, RVec};

use crate::abi::{DirEntry, ExecOutput, FileIdentity, FileInfo, HttpResponse, ProbeError};

/// A probe answer turned into the type the [`HostContext`](crate::HostContext) method
/// returns: `String` → `RString`, `Vec<u8>` → `RVec<u8>`, `Vec<String>` → `RVec<RString>`,
/// and through `Option` and `Result<_, ProbeError>`; the ABI's own types stay as they are.
pub trait IntoAbi {
    /// The ABI form.
    type Abi;
    /// Convert.
    fn into_abi(self) -> Self::Abi;
}

impl IntoAbi for String {
    type Abi = RString;
    fn into_abi(self) -> RString {
        RString::from(self)
    }
}

impl IntoAbi for Vec<String> {
    type Abi = RVec<RString>;
    fn into_abi(self) -> RVec<RString> {
        self.into_iter().map(RString::from).collect()
    }
}

impl<T: IntoAbi> IntoAbi for Option<T> {
    type Abi = ROption<T::Abi>;
    fn into_abi(self) -> ROption<T::Abi> {
        self.map(IntoAbi::into_abi).into()
    }
}

impl<T: IntoAbi> IntoAbi for Result<T, ProbeError> {
    type Abi = RResult<T::Abi, ProbeError>;
    fn into_abi(self) -> RResult<T::Abi, ProbeError> {
        self.map(IntoAbi::into_abi).into()
    }
}

/// A `Vec` whose elements cross as they are: `RVec::from` takes over the `Vec`'s buffer
/// (abi_stable 0.11's `std_types/vec.rs`), no copy: a file's bytes can be hundreds of MiB.
macro_rules! vec_as_is {
    ($($t:ty),+) => {$(
        impl IntoAbi for Vec<$t> {
            type Abi = RVec<$t>;
            fn into_abi(self) -> RVec<$t> {
                RVec::from(self)
            }
        }
    )+};
}
vec_as_is!(u8, DirEntry);

/// Types that are already the ABI's.
macro_rules! as_is {
    ($($t:ty),+) => {$(
        impl IntoAbi for $t {
            type Abi = $t;
            fn into_abi(self) -> $t {
                self
            }
        }
    )+};
}
as_is!((), ExecOutput, FileInfo, FileIdentity, HttpResponse);

/// Writes the [`HostContext`](crate::HostContext) probe methods an implementation answers
/// straight from a Rust-typed source: `forward_host_context!(field => sysctl, read_dir, …)`
/// inside `impl HostContext for …` expands to methods that call the same method of
/// `self.field` with `&str` for each `RStr` and turn the answer into the ABI's type with
/// [`IntoAbi`]. For host contexts (gohost's `HostCtx` over its probe backends,
/// [`testing::TestContext`](crate::testing) over a [`Replayer`](crate::snapshot::Replayer));
/// plugins do not need it. Forwardable: `sysctl`, `read_file`, `read_dir`, `read_file_at`,
/// `file_info`, `file_identity`, `env`, `which`, `env_answer`, `which_answer`,
/// `make_temp_dir`.
#[macro_export]
macro_rules! forward_host_context {
    ($to:ident => $($method:ident),+ $(,)?) => {
        $($crate::forward_host_context!(@probe $to $method);)+
    };
    (@probe $to:ident sysctl) => {
        $crate::forward_host_context!(@fn $to sysctl(name) () -> $crate::convert::AbiResult<$crate::abi_stable::std_types::RString>);
    };
    (@probe $to:ident read_file) => {
        $crate::forward_host_context!(@fn $to read_file(path) (max_bytes) -> $crate::convert::AbiResult<$crate::abi_stable::std_types::RVec<u8>>);
    };
    (@probe $to:ident read_dir) => {
        $crate::forward_host_context!(@fn $to read_dir(path) () -> $crate::convert::AbiResult<$crate::abi_stable::std_types::RVec<$crate::DirEntry>>);
    };
    (@probe $to:ident read_file_at) => {
        $crate::forward_host_context!(@fn $to read_file_at(path) (offset, max_bytes) -> $crate::convert::AbiResult<$crate::abi_stable::std_types::RVec<u8>>);
    };
    (@probe $to:ident file_info) => {
        $crate::forward_host_context!(@fn $to file_info(path) () -> $crate::convert::AbiResult<$crate::FileInfo>);
    };
    (@probe $to:ident file_identity) => {
        $crate::forward_host_context!(@fn $to file_identity(path) () -> $crate::convert::AbiResult<$crate::FileIdentity>);
    };
    (@probe $to:ident env) => {
        $crate::forward_host_context!(@fn $to env(name) () -> $crate::abi_stable::std_types::ROption<$crate::abi_stable::std_types::RString>);
    };
    (@probe $to:ident which) => {
        $crate::forward_host_context!(@fn $to which(name) () -> $crate::abi_stable::std_types::RVec<$crate::abi_stable::std_types::RString>);
    };
    (@probe $to:ident env_answer) => {
        $crate::forward_host_context!(@fn $to env_answer(name) () -> $crate::convert::AbiResult<$crate::abi_stable::std_types::ROption<$crate::abi_stable::std_types::RString>>);
    };
    (@probe $to:ident which_answer) => {
        $crate::forward_host_context!(@fn $to which_answer(name) () -> $crate::convert::AbiResult<$crate::abi_stable::std_types::RVec<$crate::abi_stable::std_types::RString>>);
    };
    (@probe $to:ident make_temp_dir) => {
        $crate::forward_host_context!(@fn $to make_temp_dir() () -> $crate::convert::AbiResult<$crate::abi_stable::std_types::RString>);
    };
    // Text arguments (`RStr` in the ABI, `&str` in the source), then numbers (`u64` in both).
    (@fn $to:ident $method:ident($($text:ident),*) ($($number:ident),*) -> $ret:ty) => {
        fn $method(
            &self,
            $($text: $crate::abi_stable::std_types::RStr<'_>,)*
            $($number: u64,)*
        ) -> $ret {
            $crate::convert::IntoAbi::into_abi(self.$to.$method($($text.as_str(),)* $($number),*))
        }
    };
}

/// What most probe methods of the ABI return.
pub type AbiResult<T> = RResult<T, ProbeError>;

#[cfg(test)]
mod tests {
    use super::IntoAbi;
    use crate::abi::{ProbeError, ProbeErrorKind};
    use abi_stable::std_types::{ROption, RResult, RString, RVec};

    fn failed() -> ProbeError {
        ProbeError {
            kind: ProbeErrorKind::NotRecorded,
            message: "no answer".into(),
        }
    }

    #[test]
    fn answers_keep_their_values_and_errors() {
        assert_eq!(
            Ok::<_, ProbeError>("Darwin".to_owned()).into_abi(),
            RResult::ROk(RString::from("Darwin"))
        );
        let bytes: Result<Vec<u8>, ProbeError> = Ok(vec![0, 1, 255]);
        assert_eq!(
            bytes.into_abi(),
            RResult::ROk(RVec::from(vec![0u8, 1, 255]))
        );
        let found = vec!["/usr/bin/go".to_owned(), "/opt/go/bin/go".to_owned()];
        assert_eq!(
            found.into_abi(),
            RVec::from(vec![
                RString::from("/usr/bin/go"),
                RString::from("/opt/go/bin/go")
            ])
        );
        assert_eq!(None::<String>.into_abi(), ROption::RNone);
        let unset: Result<Option<String>, ProbeError> = Ok(None);
        assert_eq!(unset.into_abi(), RResult::ROk(ROption::RNone));
        let set: Result<Option<String>, ProbeError> = Ok(Some("1".to_owned()));
        assert_eq!(
            set.into_abi(),
            RResult::ROk(ROption::RSome(RString::from("1")))
        );
        let missing: Result<Vec<String>, ProbeError> = Err(failed());
        assert_eq!(missing.into_abi(), RResult::RErr(failed()));
        assert_eq!(Ok::<(), ProbeError>(()).into_abi(), RResult::ROk(()));
    }
}
