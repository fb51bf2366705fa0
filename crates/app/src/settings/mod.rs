//! Settings as types: each section a `Deserialize` struct with its defaults and meaning written
//! once ([`schema::section!`]), marketplace accounts as lists (`[[adm]]`, `[[feedamp]]`), and
//! the layers defaults < TOML file < `ORDERBRIDGE_` environment variables, with where each value
//! came from kept for messages and `orderbridge config`. `adm.base_url` is
//! `ORDERBRIDGE_ADM_BASE_URL`; the variables of a marketplace set its sole account (they make
//! one when the file has none); `DATABASE_URL` also sets `database.url`. Unknown keys are
//! errors, so a typo never silently falls back to a default. Loading reads nothing but what it
//! is given.

mod layers;
mod sections;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use layers::{Loaded, Source};
use orderbridge_domain::ports::channel::MarketplaceKind;
use orderbridge_domain::settings::{Section, Setting};

use crate::marketplaces::MARKETPLACES;
pub use sections::{
    AlertsSection, ChannelsSection, DatabaseSection, DispatchSection, HttpSection, LogSection,
    OrdersSection, RetentionSection, Root, ShutdownSection, WarehouseSection,
};

/// Every setting, typed. `Debug` shows how many accounts each marketplace has, never their
/// settings (they hold credentials).
#[derive(Clone, Default, PartialEq, Eq)]
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
    /// Orders: updates and ship-by.
    pub orders: OrdersSection,
    /// The dispatcher.
    pub dispatch: DispatchSection,
    /// Channel health.
    pub channels: ChannelsSection,
    /// Alerts to operators.
    pub alerts: AlertsSection,
    /// Retention of personal data.
    pub retention: RetentionSection,
    /// Each marketplace's accounts (by its name), each as a JSON object of the settings given
    /// for it; the marketplace's crate reads them.
    pub accounts: BTreeMap<&'static str, Vec<String>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let accounts: BTreeMap<&str, usize> = self
            .accounts
            .iter()
            .map(|(name, a)| (*name, a.len()))
            .collect();
        f.debug_struct("Settings")
            .field("root", &self.root)
            .field("database", &self.database)
            .field("log", &self.log)
            .field("http", &self.http)
            .field("warehouse", &self.warehouse)
            .field("shutdown", &self.shutdown)
            .field("orders", &self.orders)
            .field("dispatch", &self.dispatch)
            .field("channels", &self.channels)
            .field("alerts", &self.alerts)
            .field("retention", &self.retention)
            .field("accounts", &accounts)
            .finish()
    }
}

/// The sections with one value per key, by name and fields.
pub(crate) const SECTIONS: &[(&str, &[Setting])] = &[
    (Root::NAME, Root::SETTINGS),
    (DatabaseSection::NAME, DatabaseSection::SETTINGS),
    (LogSection::NAME, LogSection::SETTINGS),
    (HttpSection::NAME, HttpSection::SETTINGS),
    (WarehouseSection::NAME, WarehouseSection::SETTINGS),
    (ShutdownSection::NAME, ShutdownSection::SETTINGS),
    (OrdersSection::NAME, OrdersSection::SETTINGS),
    (DispatchSection::NAME, DispatchSection::SETTINGS),
    (ChannelsSection::NAME, ChannelsSection::SETTINGS),
    (AlertsSection::NAME, AlertsSection::SETTINGS),
    (RetentionSection::NAME, RetentionSection::SETTINGS),
];

/// The marketplaces' account settings, by the marketplace's name.
pub(crate) fn accounts() -> impl Iterator<Item = (&'static str, &'static [Setting])> {
    accounts_of(MARKETPLACES)
}

/// The account settings of `kinds`, by the marketplace's name.
pub(crate) fn accounts_of(
    kinds: Kinds,
) -> impl Iterator<Item = (&'static str, &'static [Setting])> {
    kinds.iter().map(|kind| (kind.name(), kind.settings()))
}

/// The marketplaces a configuration is read for.
pub type Kinds = &'static [&'static dyn MarketplaceKind];

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
fn every_field() -> impl Iterator<Item = (String, &'static Setting)> {
    SECTIONS
        .iter()
        .copied()
        .chain(accounts())
        .flat_map(|(section, fields)| fields.iter().map(move |f| (key(section, f.key), f)))
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
