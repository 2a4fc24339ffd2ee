//! The payload codec's building blocks (crate-private): a little-endian [`Reader`], the [`Field`]
//! trait every payload field type implements, and the three declaration macros built on them:
//!
//! * [`wire_enum!`] declares an enum carried as one byte: each value once, with its wire value and
//!   its snake_case name; it generates `from_u8`/`to_u8` (or `from_i8`/`to_i8`), `name` and the
//!   [`Field`] impl.
//! * [`layout!`] declares a multi-field payload struct: the fields, in wire order, *are* the
//!   layout; it generates the [`Field`] impl (minimum length, encode, decode).
//! * [`commands!`] declares the [`Request`](crate::Request) or [`Reply`](crate::Reply) enum: one
//!   entry per command with its id, its fields in wire order and its options; it generates the
//!   enum, `cmd_id`, `encode_payload`, `decode` and (for requests) `expects_reply`.
//!
//! Optional trailing fields are `Option<T>`: decoded when the payload still has room for them,
//! and encoded in the shortest layout that holds every field present (an absent field before a
//! present one is written as zeros).
//!
//! A command entry reads like the variant it declares, followed by its id and options:
//!
//! ```text
//! /// 0x0E set gimbal angles: `i16 yaw, i16 pitch`, tenths of a degree.
//! SetAngles {
//!     /// Target yaw, tenths of a degree, positive = left.
//!     yaw: Decidegrees,
//!     /// Target pitch, tenths of a degree, positive = up.
//!     pitch: Decidegrees,
//! } = SET_ANGLES;
//! /// 0x0C photo / record toggle / mode: `u8 func_type`. Never acknowledged.
//! Function(func_type: FunctionType) = FUNCTION, no_reply;
//! ```
//!
//! Why declarative macros rather than a derive crate: they add no dependency, they keep the
//! public shapes the bridge already uses (unit, newtype and struct variants, `Other(u8)`), and
//! the minimum payload length of each command is a constant summed from its field types, so the
//! generated decoder checks the length once and then reads the fields with no further error path
//! (except the values a type refuses, such as a flag byte of 2).

use crate::{CmdId, PayloadError};

/// Reads little-endian fields from a payload whose minimum length was checked up front.
pub(crate) struct Reader<'a> {
    cmd: CmdId,
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks `payload.len() >= min` for `cmd`, then returns a reader at offset 0.
    pub(crate) fn new(cmd: CmdId, payload: &'a [u8], min: usize) -> Result<Self, PayloadError> {
        if payload.len() < min {
            return Err(PayloadError::TooShort {
                cmd,
                min,
                got: payload.len(),
            });
        }
        Ok(Self {
            cmd,
            buf: payload,
            pos: 0,
        })
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The error for a field whose value the protocol does not define.
    pub(crate) fn invalid(&self, field: &'static str, value: i64) -> PayloadError {
        PayloadError::InvalidValue {
            cmd: self.cmd,
            field,
            value,
        }
    }

    /// The next `N` bytes. Reads past the end yield zeros; the minimum length was checked first,
    /// so this only happens for optional trailing fields, which check `remaining()`.
    pub(crate) fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.buf.get(self.pos..self.pos + N) {
            out.copy_from_slice(src);
        }
        self.pos += N;
        out
    }

    /// Up to `N` bytes (as many as remain), zero-padded, for variable-length trailing text.
    pub(crate) fn take_up_to<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(N);
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        out
    }
}

/// A value with a fixed little-endian layout inside a payload.
pub(crate) trait Field: Sized {
    /// Bytes this field needs at least; a layout's minimum payload length is the sum.
    const MIN_LEN: usize;
    /// Appends the field's bytes.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads the field; `field` names it in a [`PayloadError::InvalidValue`].
    fn get(r: &mut Reader<'_>, field: &'static str) -> Result<Self, PayloadError>;
    /// False only for an absent optional field, which a layout may leave off its end.
    fn present(&self) -> bool {
        true
    }
}

macro_rules! int_fields {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const MIN_LEN: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn get(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, PayloadError> {
                Ok(<$t>::from_le_bytes(r.take()))
            }
        }
    )*};
}
int_fields!(u8, i8, u16, i16, u32, i32, u64, f32);

/// A flag byte: 0 false, 1 true, anything else is invalid.
impl Field for bool {
    const MIN_LEN: usize = 1;
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>, field: &'static str) -> Result<Self, PayloadError> {
        match r.take::<1>()[0] {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(r.invalid(field, i64::from(v))),
        }
    }
}

/// An optional trailing field: read when the payload has room for it.
impl<T: Field> Field for Option<T> {
    const MIN_LEN: usize = 0;
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.put(out),
            None => out.resize(out.len() + T::MIN_LEN, 0),
        }
    }
    fn get(r: &mut Reader<'_>, field: &'static str) -> Result<Self, PayloadError> {
        if r.remaining() >= T::MIN_LEN {
            T::get(r, field).map(Some)
        } else {
            Ok(None)
        }
    }
    fn present(&self) -> bool {
        self.is_some()
    }
}

/// Implements [`Field`] for newtypes over an integer (`Decidegrees(i16)`): the integer's layout.
macro_rules! newtype_fields {
    ($($t:ty: $inner:ty),* $(,)?) => {$(
        impl $crate::wire::Field for $t {
            const MIN_LEN: usize = std::mem::size_of::<$inner>();
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0.to_le_bytes());
            }
            #[inline]
            fn get(
                r: &mut $crate::wire::Reader<'_>,
                _field: &'static str,
            ) -> Result<Self, $crate::PayloadError> {
                Ok(Self(<$inner>::from_le_bytes(r.take())))
            }
        }
    )*};
}
pub(crate) use newtype_fields;

/// Appends `fields` (each a `&impl Field`) to `out`, then cuts absent optional fields off the end.
macro_rules! put_fields {
    ($out:ident; $($field:expr),*) => {{
        #[allow(unused_mut)]
        let mut end = $out.len();
        $(
            let field = $field;
            $crate::wire::Field::put(field, $out);
            if $crate::wire::Field::present(field) {
                end = $out.len();
            }
        )*
        $out.truncate(end);
    }};
}
pub(crate) use put_fields;

/// Declares an enum carried as one byte. Each value: doc, variant, wire value, snake_case name.
///
/// With `, Other(u8)` after the wire type every byte is representable (`from_u8` is total); without
/// one, `from_*` returns `None` for undefined values and decoding reports
/// [`PayloadError::InvalidValue`].
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: u8, $other:ident(u8) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Any other value.
            $other(u8),
        }

        impl $name {
            /// From the wire byte.
            pub const fn from_u8(v: u8) -> Self {
                match v {
                    $( $value => Self::$variant, )*
                    v => Self::$other(v),
                }
            }
            /// The wire byte.
            pub const fn to_u8(self) -> u8 {
                match self {
                    $( Self::$variant => $value, )*
                    Self::$other(v) => v,
                }
            }
            /// The snake_case name of a defined value (as used in JSON descriptions), `None` for
            #[doc = concat!("[`", stringify!($name), "::", stringify!($other), "`].")]
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($text), )*
                    Self::$other(_) => None,
                }
            }
        }

        impl $crate::wire::Field for $name {
            const MIN_LEN: usize = 1;
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                out.push(self.to_u8());
            }
            #[inline]
            fn get(
                r: &mut $crate::wire::Reader<'_>,
                _field: &'static str,
            ) -> Result<Self, $crate::PayloadError> {
                Ok(Self::from_u8(r.take::<1>()[0]))
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ident ($from:ident, $to:ident) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            #[doc = concat!("From the wire value; `None` for an undefined `", stringify!($repr), "`.")]
            pub const fn $from(v: $repr) -> Option<Self> {
                match v {
                    $( $value => Some(Self::$variant), )*
                    _ => None,
                }
            }
            /// The wire value.
            pub const fn $to(self) -> $repr {
                match self {
                    $( Self::$variant => $value, )*
                }
            }
            /// The snake_case name (as used in JSON descriptions).
            pub const fn name(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )*
                }
            }
        }

        impl $crate::wire::Field for $name {
            const MIN_LEN: usize = 1;
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.$to().to_le_bytes());
            }
            fn get(
                r: &mut $crate::wire::Reader<'_>,
                field: &'static str,
            ) -> Result<Self, $crate::PayloadError> {
                let v = $repr::from_le_bytes(r.take());
                Self::$from(v).ok_or_else(|| r.invalid(field, i64::from(v)))
            }
        }
    };
}
pub(crate) use wire_enum;

/// Declares a payload struct whose fields, in order, are its wire layout, and implements
/// [`Field`] for it. Attributes (docs, derives) are written at the declaration.
macro_rules! layout {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The shortest payload this layout decodes from, in bytes.
            pub const MIN_LEN: usize = 0 $( + <$ty as $crate::wire::Field>::MIN_LEN )*;
        }

        impl $crate::wire::Field for $name {
            const MIN_LEN: usize = $name::MIN_LEN;
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                $crate::wire::put_fields!(out; $( &self.$field ),*);
            }
            #[inline]
            fn get(
                r: &mut $crate::wire::Reader<'_>,
                _field: &'static str,
            ) -> Result<Self, $crate::PayloadError> {
                Ok(Self {
                    $( $field: $crate::wire::Field::get(r, stringify!($field))?, )*
                })
            }
        }
    };
}
pub(crate) use layout;

/// Per-command options of [`commands!`]: whether the camera answers, and fixed payload bytes.
macro_rules! command_option {
    (answered no_reply) => {
        false
    };
    (answered one_zero_byte) => {
        true
    };
    (encode no_reply, $out:ident) => {};
    (encode one_zero_byte, $out:ident) => {
        $out.push(0)
    };
}
pub(crate) use command_option;

/// Declares the request or reply enum: one entry per command, then generates the enum (with an
/// `Unknown { cmd, payload }` variant), `cmd_id`, `encode_payload`, `decode` and `answered`.
///
/// An entry is `doc Variant = CMD_ID[, option]*;` with the variant in one of three shapes:
/// unit (`Attitude`), one named value in parentheses (`ManualZoom(zoom: ZoomDirection)`, a tuple
/// variant whose name is used in errors), or braces with documented fields in wire order.
/// Options: `no_reply` (the camera does not answer it), `one_zero_byte` (payload is one `00`).
macro_rules! commands {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident
                $( ( $tname:ident: $tty:ty ) )?
                $( { $( $(#[$fmeta:meta])* $field:ident: $fty:ty ),* $(,)? } )?
                = $cmd:ident $(, $opt:ident)*;
            )*
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant $( ($tty) )? $( { $( $(#[$fmeta])* $field: $fty ),* } )?,
            )*
            /// Any other command, kept as raw bytes.
            Unknown {
                /// Command id.
                cmd: CmdId,
                /// Raw payload.
                payload: Vec<u8>,
            },
        }

        impl $name {
            /// The command id.
            pub fn cmd_id(&self) -> CmdId {
                match self {
                    $( Self::$variant { .. } => CmdId::$cmd, )*
                    Self::Unknown { cmd, .. } => *cmd,
                }
            }

            /// Whether the command is declared as answered (no `no_reply` option).
            #[allow(dead_code)]
            fn answered(&self) -> bool {
                match self {
                    $( Self::$variant { .. } => {
                        true $( && $crate::wire::command_option!(answered $opt) )*
                    } )*
                    Self::Unknown { .. } => false,
                }
            }

            /// Appends the payload (DATA) bytes to `out`, in the shortest layout that holds every
            /// field present.
            pub fn encode_payload(&self, out: &mut Vec<u8>) {
                match self {
                    $(
                        Self::$variant $( ($tname) )? $( { $( $field ),* } )? => {
                            $crate::wire::put_fields!(out; $($tname)? $( $( $field ),* )?);
                            $( $crate::wire::command_option!(encode $opt, out); )*
                        }
                    )*
                    Self::Unknown { payload, .. } => out.extend_from_slice(payload),
                }
            }

            /// Decodes a payload by command id. Unknown ids give `Unknown`; payloads longer than
            /// the known layout are accepted (extra bytes ignored); shorter ones are
            /// [`PayloadError::TooShort`].
            pub fn decode(cmd: CmdId, payload: &[u8]) -> Result<Self, PayloadError> {
                Ok(match cmd {
                    $(
                        CmdId::$cmd => {
                            const MIN: usize = 0
                                $( + <$tty as $crate::wire::Field>::MIN_LEN )?
                                $( $( + <$fty as $crate::wire::Field>::MIN_LEN )* )?;
                            #[allow(unused_mut, unused_variables)]
                            let mut r = $crate::wire::Reader::new(cmd, payload, MIN)?;
                            Self::$variant
                            $( ( $crate::wire::Field::get(&mut r, stringify!($tname))? ) )?
                            $( { $( $field: $crate::wire::Field::get(&mut r, stringify!($field))? ),* } )?
                        }
                    )*
                    _ => Self::Unknown {
                        cmd,
                        payload: payload.to_vec(),
                    },
                })
            }
        }
    };
}
pub(crate) use commands;
