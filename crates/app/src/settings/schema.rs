//! The settings' one table: each section a `Deserialize` struct whose fields carry their key,
//! default and meaning, written once in [`section!`]. The macro derives the struct, its
//! `Default`, a `Debug` that redacts secrets, and the list of [`Field`]s that the loader, the
//! README table and `orderbridge config` read.

/// What a setting holds, for reading it from an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A whole number.
    Number,
    /// A list of text (comma-separated in a variable).
    List,
}

/// The [`Kind`] of a field's type.
pub trait Shape {
    /// Its kind.
    const KIND: Kind;
}

impl Shape for String {
    const KIND: Kind = Kind::Text;
}
impl Shape for Option<String> {
    const KIND: Kind = Kind::Text;
}
impl Shape for u64 {
    const KIND: Kind = Kind::Number;
}
impl Shape for u32 {
    const KIND: Kind = Kind::Number;
}
impl Shape for Vec<String> {
    const KIND: Kind = Kind::List;
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name within its section (`base_url`).
    pub name: &'static str,
    /// Its default as written in the README (`None`: unset).
    pub default: Option<&'static str>,
    /// Whether the value is a credential (never printed).
    pub secret: bool,
    /// What it holds.
    pub kind: Kind,
    /// What it does.
    pub doc: &'static str,
}

/// A section's fields, under its name (`""` for the top level).
pub trait Section {
    /// The section's name in TOML (`dispatch`), or `""` for top-level keys.
    const NAME: &'static str;
    /// Its fields, in the order the README lists them.
    const FIELDS: &'static [Field];
}

/// The README's text of a default value: `"pretty"` becomes `pretty`.
pub(crate) const fn unquoted(text: &'static str) -> &'static str {
    let bytes = text.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        match text.split_at_checked(1) {
            Some((_, rest)) => match rest.split_at_checked(rest.len() - 1) {
                Some((inner, _)) => inner,
                None => text,
            },
            None => text,
        }
    } else {
        text
    }
}

/// Declares a section: `section! { /// doc \n pub struct Name("toml name") { /// doc \n
/// field: Type = default, ... } }`. A field's default is an expression (`8`, `"pretty"`), or
/// `unset` for an empty `Option`/`Vec`; `secret` after the default marks a credential.
macro_rules! section {
    (
        $(#[doc = $sdoc:literal])*
        pub struct $name:ident($toml:literal) {
            $(
                $(#[doc = $doc:literal])+
                $field:ident: $ty:ty = $default:tt $(($secret:ident))?
            ),* $(,)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Clone, PartialEq, Eq, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $(
                $(#[doc = $doc])+
                pub $field: $ty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $($field: section!(@default $default),)*
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut out = f.debug_struct(stringify!($name));
                $(
                    if section!(@secret $($secret)?) {
                        out.field(stringify!($field), &"[redacted]");
                    } else {
                        out.field(stringify!($field), &self.$field);
                    }
                )*
                out.finish()
            }
        }

        impl $crate::settings::schema::Section for $name {
            const NAME: &'static str = $toml;
            const FIELDS: &'static [$crate::settings::schema::Field] = &[
                $(
                    $crate::settings::schema::Field {
                        name: stringify!($field),
                        default: section!(@text $default),
                        secret: section!(@secret $($secret)?),
                        kind: <$ty as $crate::settings::schema::Shape>::KIND,
                        doc: concat!($($doc, " "),+),
                    },
                )*
            ];
        }
    };
    (@default unset) => { Default::default() };
    (@default $value:literal) => { $value.to_owned() };
    (@text unset) => { None };
    (@text $value:literal) => { Some($crate::settings::schema::unquoted(stringify!($value))) };
    (@secret secret) => { true };
    (@secret) => { false };
}

pub(crate) use section;
