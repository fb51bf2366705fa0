//! Settings as types: each section a `Deserialize` struct with its defaults and meaning written
//! once ([`schema::section!`]), marketplace accounts as lists (`[[adm]]`, `[[feedamp]]`), and
//! the layers defaults < TOML file < `ORDERBRIDGE_` environment variables, with where each value
//! came from kept for messages and `orderbridge config`. `adm.base_url` is
//! `ORDERBRIDGE_ADM_BASE_URL`; the variables of a marketplace set its sole account (they make
//! one when the file has none); `DATABASE_URL` also sets `database.url`. Unknown keys are
//! errors, so a typo never silently falls back to a default. Loading reads nothing but what it
//! is given.

mod adm;
mod feedamp;
mod layers;
pub mod schema;
mod sections;

use std::fmt::Write as _;

pub use adm::AdmAccount;
pub use feedamp::FeedampAccount;
pub use layers::{Loaded, Source};
use schema::{Field, Section};
pub use sections::{
    DatabaseSection, DispatchSection, HttpSection, LogSection, OrdersSection, Root,
    ShutdownSection, WarehouseSection,
};

/// Every setting, typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Top-level settings.
    pub root: Root,
    /// The store.
    pub database: DatabaseSection,
    /// Logs.
    pub log: LogSection,
    /// The HTTP server.
    pub http: HttpSection,
    /// The warehouse API.
    pub warehouse: WarehouseSection,
    /// Stopping.
    pub shutdown: ShutdownSection,
    /// Order updates.
    pub orders: OrdersSection,
    /// The dispatcher.
    pub dispatch: DispatchSection,
    /// ADM accounts.
    pub adm: Vec<AdmAccount>,
    /// FeedAMP accounts.
    pub feedamp: Vec<FeedampAccount>,
}

/// The sections with one value per key, by name and fields.
pub(crate) const SECTIONS: &[(&str, &[Field])] = &[
    (Root::NAME, Root::FIELDS),
    (DatabaseSection::NAME, DatabaseSection::FIELDS),
    (LogSection::NAME, LogSection::FIELDS),
    (HttpSection::NAME, HttpSection::FIELDS),
    (WarehouseSection::NAME, WarehouseSection::FIELDS),
    (ShutdownSection::NAME, ShutdownSection::FIELDS),
    (OrdersSection::NAME, OrdersSection::FIELDS),
    (DispatchSection::NAME, DispatchSection::FIELDS),
];

/// The marketplaces' account lists, by name and fields.
pub(crate) const ACCOUNTS: &[(&str, &[Field])] = &[
    (AdmAccount::NAME, AdmAccount::FIELDS),
    (FeedampAccount::NAME, FeedampAccount::FIELDS),
];

/// A setting's dotted key (`adm.base_url`; `listen` at the top level).
#[must_use]
pub fn key(section: &str, field: &str) -> String {
    if section.is_empty() {
        field.to_owned()
    } else {
        format!("{section}.{field}")
    }
}

/// The environment variable of a dotted key.
#[must_use]
pub fn env_name(key: &str) -> String {
    format!("ORDERBRIDGE_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// A doc comment as one line.
fn one_line(doc: &str) -> String {
    doc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every setting's key and field, sections first, then the account fields.
fn every_field() -> impl Iterator<Item = (String, &'static Field)> {
    SECTIONS
        .iter()
        .chain(ACCOUNTS)
        .flat_map(|(section, fields)| fields.iter().map(move |f| (key(section, f.name), f)))
}

/// The README's configuration table, generated from the sections.
#[must_use]
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| setting | environment variable | default | what it does |\n|---|---|---|---|\n",
    );
    for (key, field) in every_field() {
        let default = field
            .default
            .map_or_else(|| "(unset)".to_owned(), |d| format!("`{d}`"));
        let _ = writeln!(
            out,
            "| `{key}` | `{}` | {default} | {} |",
            env_name(&key),
            one_line(field.doc)
        );
    }
    out
}

#[cfg(test)]
mod tests;
