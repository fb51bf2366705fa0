//! The shape of settings, for the app and every marketplace crate alike: a [`Setting`] says a
//! key's default, secrecy, kind and meaning, and [`settings_section!`](crate::settings_section)
//! declares a section as a `Deserialize` struct whose defaults and meanings are written once,
//! beside its fields. The domain itself reads no settings and depends on no serialization
//! framework: the macro's expansion uses `serde` (and `serde_json` for
//! `from_json`) from the crate that invokes it.

/// What a setting holds, for reading it from an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Text.
    Text,
    /// A whole number.
    Number,
    /// A list of text (comma-separated in a variable).
    List,
    /// `true` or `false`.
    Flag,
}

/// The [`SettingKind`] of a field's type.
pub trait Shape {
    /// Its kind.
    const KIND: SettingKind;
}

impl Shape for String {
    const KIND: SettingKind = SettingKind::Text;
}
impl Shape for Option<String> {
    const KIND: SettingKind = SettingKind::Text;
}
impl Shape for u64 {
    const KIND: SettingKind = SettingKind::Number;
}
impl Shape for u32 {
    const KIND: SettingKind = SettingKind::Number;
}
impl Shape for Option<u32> {
    const KIND: SettingKind = SettingKind::Number;
}
impl Shape for Vec<String> {
    const KIND: SettingKind = SettingKind::List;
}
impl Shape for bool {
    const KIND: SettingKind = SettingKind::Flag;
}

/// One setting, below its section: `key: "base_url"` of the section `adm` is the operator's
/// `adm.base_url` (`ORDERBRIDGE_ADM_BASE_URL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The key below the section's name.
    pub key: &'static str,
    /// The default as the README shows it; `None`: unset.
    pub default: Option<&'static str>,
    /// Whether the value is a credential (never printed).
    pub secret: bool,
    /// What it holds.
    pub kind: SettingKind,
    /// What it does (a doc comment: trim and join its lines to show it).
    pub doc: &'static str,
}

/// A setting that is missing or wrong. The app names where it was set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    /// The key below the section's name (`base_url`).
    pub key: String,
    /// What is wrong (never the value of a secret).
    pub message: String,
}

impl SettingError {
    /// `key` is wrong for this reason.
    #[must_use]
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }

    /// `key` is required and unset.
    #[must_use]
    pub fn required(key: impl Into<String>, why: &str) -> Self {
        Self::new(key, format!("is required {why}"))
    }
}

/// A section's settings.
pub trait Section {
    /// The section's name (`dispatch`, `adm`), or `""` for top-level keys.
    const NAME: &'static str;
    /// Its settings, in the order the README lists them.
    const SETTINGS: &'static [Setting];
}

/// The README's text of a default value: `"pretty"` becomes `pretty`.
#[must_use]
pub const fn unquoted(text: &'static str) -> &'static str {
    if let Some((b'"', rest)) = text.as_bytes().split_first()
        && let Some((b'"', _)) = rest.split_last()
        && let Some((_, inner)) = text.split_at_checked(1)
        && let Some((inner, _)) = inner.split_at_checked(inner.len() - 1)
    {
        return inner;
    }
    text
}

/// Declares a section of settings: `settings_section! { /// doc \n pub struct Name("toml
/// name") { /// doc \n field: Type = default, ... } }`. A default is a literal (`8`,
/// `"pretty"`) or `unset` (an empty `Option` or `Vec`); `(secret)` after it marks a
/// credential. Field types: `String`, `Option<String>`, `u64`, `u32`, `Option<u32>`,
/// `Vec<String>`, `bool`.
///
/// It derives the struct (`Deserialize`, unknown keys refused, missing keys defaulted), its
/// `Default`, a `Debug` that prints `[redacted]` for credentials, [`Section`] with one
/// [`Setting`] per field, and `from_json`, which reads the section from a JSON object and names
/// the key at fault.
#[macro_export]
macro_rules! settings_section {
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
        #[derive(Clone, PartialEq, Eq, ::serde::Deserialize)]
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
                    $($field: $crate::settings_section!(@default $default),)*
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut out = f.debug_struct(stringify!($name));
                $(
                    if $crate::settings_section!(@secret $($secret)?) {
                        out.field(stringify!($field), &"[redacted]");
                    } else {
                        out.field(stringify!($field), &self.$field);
                    }
                )*
                out.finish()
            }
        }

        impl $crate::settings::Section for $name {
            const NAME: &'static str = $toml;
            const SETTINGS: &'static [$crate::settings::Setting] = &[
                $(
                    $crate::settings::Setting {
                        key: stringify!($field),
                        default: $crate::settings_section!(@text $default),
                        secret: $crate::settings_section!(@secret $($secret)?),
                        kind: <$ty as $crate::settings::Shape>::KIND,
                        doc: concat!($($doc, "\n"),+),
                    },
                )*
            ];
        }

        impl $name {
            /// The section from a JSON object of its settings.
            ///
            /// # Errors
            /// A [`SettingError`]($crate::settings::SettingError) naming the key at fault.
            pub fn from_json(text: &str) -> Result<Self, $crate::settings::SettingError> {
                let mut json = ::serde_json::Deserializer::from_str(text);
                ::serde_path_to_error::deserialize(&mut json).map_err(|e| {
                    $crate::settings::SettingError::new(e.path().to_string(), e.inner().to_string())
                })
            }
        }
    };
    (@default unset) => { Default::default() };
    (@default $value:literal) => { $value.to_owned() };
    (@text unset) => { None };
    (@text $value:literal) => { Some($crate::settings::unquoted(stringify!($value))) };
    (@secret secret) => { true };
    (@secret) => { false };
}

#[cfg(test)]
mod tests {
    use super::unquoted;

    #[test]
    fn a_quoted_default_loses_its_quotes_and_others_stay() {
        assert_eq!(unquoted("\"pretty\""), "pretty");
        assert_eq!(unquoted("\"\""), "");
        assert_eq!(unquoted("8"), "8");
        assert_eq!(unquoted("\""), "\"");
    }
}
