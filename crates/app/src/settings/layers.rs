//! The layers: defaults, then the TOML file, then the environment, merged into one TOML table
//! per section and per account, each value's origin kept; then each table read into its typed
//! section.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;

use super::{
    AlertsSection, ChannelsSection, DatabaseSection, DispatchSection, HttpSection, Kinds,
    LogSection, OrdersSection, RetentionSection, Root, SECTIONS, Settings, ShutdownSection,
    WarehouseSection, accounts_of, env_name, key,
};
use crate::marketplaces::MARKETPLACES;
use orderbridge_domain::settings::{Section, Setting, SettingKind};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default.
    Default,
    /// The configuration file.
    File(String),
    /// An environment variable.
    Env(String),
}

/// The values given, before they are typed: one table per section and per account. `Debug`
/// names the keys given, never their values (credentials among them).
struct Given {
    kinds: Kinds,
    sections: BTreeMap<&'static str, toml::Table>,
    accounts: BTreeMap<&'static str, Vec<toml::Table>>,
    origins: BTreeMap<String, Source>,
}

/// The settings with where each value came from. `Debug` shows the typed settings (secrets
/// redacted, accounts counted) and where each key came from, never the values as given.
#[derive(Clone)]
pub struct Loaded {
    /// The typed settings.
    pub settings: Settings,
    kinds: Kinds,
    origins: BTreeMap<String, Source>,
    given: BTreeMap<String, String>,
    accounts: BTreeMap<&'static str, usize>,
}

impl std::fmt::Debug for Given {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let accounts: BTreeMap<&str, usize> = self
            .accounts
            .iter()
            .map(|(name, a)| (*name, a.len()))
            .collect();
        f.debug_struct("Given")
            .field("keys", &self.origins.keys().collect::<Vec<_>>())
            .field("accounts", &accounts)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("settings", &self.settings)
            .field("origins", &self.origins)
            .field("accounts", &self.accounts)
            .finish_non_exhaustive()
    }
}

fn fields_of(section: &str) -> Option<&'static [Setting]> {
    SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .map(|(_, fields)| *fields)
}

/// The key of a value in account `index` (`adm[1].base_url`).
fn account_key(section: &str, index: usize, field: &str) -> String {
    format!("{section}[{index}].{field}")
}

/// A value's text, for `orderbridge config`.
fn text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// Checks that every key of `table` is one of `fields`, naming the unknown one as `prefix.key`.
fn check_keys(table: &toml::Table, fields: &[Setting], prefix: &str, path: &str) -> Result<()> {
    for name in table.keys() {
        if !fields.iter().any(|f| f.key == name) {
            bail!(
                "{path}: unknown setting `{}` (see `orderbridge config` for the list)",
                key(prefix, name)
            );
        }
    }
    Ok(())
}

impl Given {
    fn new(kinds: Kinds) -> Self {
        Self {
            kinds,
            sections: BTreeMap::new(),
            accounts: BTreeMap::new(),
            origins: BTreeMap::new(),
        }
    }

    fn account_fields(&self, section: &str) -> Option<(&'static str, &'static [Setting])> {
        accounts_of(self.kinds).find(|(name, _)| *name == section)
    }

    fn from_file(kinds: Kinds, path: &str, text: &str) -> Result<Self> {
        let table: toml::Table =
            toml::from_str(text).with_context(|| format!("{path} is not valid TOML"))?;
        let mut given = Self::new(kinds);
        let source = || Source::File(path.to_owned());
        for (name, value) in table {
            if let Some((section, fields)) = given.account_fields(&name) {
                let tables = match value {
                    toml::Value::Table(one) => vec![one],
                    toml::Value::Array(items) => items
                        .into_iter()
                        .map(|item| match item {
                            toml::Value::Table(t) => Ok(t),
                            _ => bail!("{path}: each [[{section}]] entry must be a table"),
                        })
                        .collect::<Result<Vec<_>>>()?,
                    _ => bail!("{path}: `{section}` must be a table or a list of [[{section}]]"),
                };
                for (index, table) in tables.iter().enumerate() {
                    check_keys(table, fields, section, path)?;
                    for field in table.keys() {
                        given
                            .origins
                            .insert(account_key(section, index, field), source());
                    }
                }
                given.accounts.insert(section, tables);
            } else if let Some(fields) = fields_of(&name) {
                let toml::Value::Table(table) = value else {
                    bail!("{path}: `{name}` must be a table ([{name}])");
                };
                check_keys(&table, fields, &name, path)?;
                let section = SECTIONS
                    .iter()
                    .find(|(s, _)| *s == name)
                    .map_or("", |(s, _)| *s);
                for field in table.keys() {
                    given.origins.insert(key(section, field), source());
                }
                given.sections.insert(section, table);
            } else {
                let root = fields_of("").unwrap_or_default();
                if !root.iter().any(|f| f.key == name) {
                    bail!(
                        "{path}: unknown setting `{name}` (see `orderbridge config` for the list)"
                    );
                }
                given.origins.insert(name.clone(), source());
                given.sections.entry("").or_default().insert(name, value);
            }
        }
        Ok(given)
    }

    /// Sets one value from the environment variable `var`.
    fn set_from_env(&mut self, var: &str, raw: &str, file: Option<&str>) -> Result<()> {
        let target = SECTIONS
            .iter()
            .map(|(s, f)| (*s, *f, false))
            .chain(accounts_of(self.kinds).map(|(s, f)| (s, f, true)))
            .find_map(|(section, fields, account)| {
                fields
                    .iter()
                    .find(|f| env_name(&key(section, f.key)) == var)
                    .map(|f| (section, f, account))
            });
        let Some((section, field, account)) = target else {
            bail!("unknown environment variable {var} (see `orderbridge config` for the list)");
        };
        let dotted = key(section, field.key);
        let expected = match field.kind {
            SettingKind::Flag => "true or false",
            _ => "a whole number",
        };
        let Some(value) = typed(field.kind, raw)
            .with_context(|| format!("{var} ({dotted}): expected {expected}, got {raw:?}"))?
        else {
            return Ok(());
        };
        let source = Source::Env(var.to_owned());
        if account {
            let accounts = self.accounts.entry(section).or_default();
            if accounts.len() > 1 {
                bail!(
                    "{var}: {} configures {} {section} accounts; set their values there, per [[{section}]]",
                    file.unwrap_or("the configuration file"),
                    accounts.len()
                );
            }
            if accounts.is_empty() {
                accounts.push(toml::Table::new());
            }
            if let Some(table) = accounts.first_mut() {
                table.insert(field.key.to_owned(), value);
            }
            self.origins
                .insert(account_key(section, 0, field.key), source);
        } else {
            self.sections
                .entry(section)
                .or_default()
                .insert(field.key.to_owned(), value);
            self.origins.insert(dotted, source);
        }
        Ok(())
    }
}

/// A variable's text as a TOML value of `kind`; `None` for an empty value (unset).
fn typed(kind: SettingKind, raw: &str) -> Option<Option<toml::Value>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(None);
    }
    Some(Some(match kind {
        SettingKind::Text => toml::Value::String(raw.to_owned()),
        SettingKind::Number => toml::Value::Integer(raw.parse::<u64>().ok()?.try_into().ok()?),
        SettingKind::Flag => toml::Value::Boolean(match raw.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return None,
        }),
        SettingKind::List => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
    }))
}

impl Loaded {
    /// Reads the defaults, then `file` (its path and text), then the environment `vars`.
    ///
    /// # Errors
    /// A message naming the file or variable when a key is unknown, a value has the wrong
    /// type, or the file is not TOML.
    pub fn load(
        file: Option<(&str, &str)>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        Self::load_for(MARKETPLACES, file, vars)
    }

    /// [`Loaded::load`] for the marketplaces `kinds` (a build that lists other marketplaces
    /// than [`MARKETPLACES`]).
    ///
    /// # Errors
    /// As [`Loaded::load`].
    pub fn load_for(
        kinds: Kinds,
        file: Option<(&str, &str)>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let mut given = match file {
            Some((path, text)) => Given::from_file(kinds, path, text)?,
            None => Given::new(kinds),
        };
        let path = file.map(|(path, _)| path);
        let mut database_url = None;
        let mut vars: Vec<(String, String)> = vars.into_iter().collect();
        vars.sort();
        for (name, value) in vars {
            if name == "DATABASE_URL" {
                database_url = Some(value);
            } else if name.starts_with("ORDERBRIDGE_") && name != "ORDERBRIDGE_CONFIG" {
                given.set_from_env(&name, &value, path)?;
            }
        }
        // ORDERBRIDGE_DATABASE_URL wins over DATABASE_URL when both are set.
        if let Some(url) = database_url
            && !matches!(given.origins.get("database.url"), Some(Source::Env(_)))
            && !url.trim().is_empty()
        {
            given
                .sections
                .entry("database")
                .or_default()
                .insert("url".to_owned(), toml::Value::String(url));
            given.origins.insert(
                "database.url".to_owned(),
                Source::Env("DATABASE_URL".to_owned()),
            );
        }
        given.into_loaded()
    }

    /// Where `key` came from, for messages: the variable (with the key) or the file.
    #[must_use]
    pub fn origin(&self, key: &str) -> String {
        match self.origins.get(key) {
            Some(Source::Env(name)) => format!("{name} ({key})"),
            Some(Source::File(path)) => format!("`{key}` in {path}"),
            Some(Source::Default) | None => match key.split_once("].") {
                Some((account, field)) => {
                    let section = account.split('[').next().unwrap_or_default();
                    let sole = self.count(section) <= 1;
                    if sole {
                        let dotted = format!("{section}.{field}");
                        format!("{} ({dotted})", env_name(&dotted))
                    } else {
                        format!("`{key}` in the configuration file")
                    }
                }
                None => format!("{} ({key})", env_name(key)),
            },
        }
    }

    /// The marketplaces these settings were read for.
    #[must_use]
    pub fn kinds(&self) -> Kinds {
        self.kinds
    }

    /// How many accounts of the marketplace `section` are configured.
    fn count(&self, section: &str) -> usize {
        self.accounts.get(section).copied().unwrap_or_default()
    }

    /// One line of [`Loaded::describe`]; the key of a sole account's setting is shown as its
    /// variable names it (`adm.api_key`, not `adm[0].api_key`).
    fn line(&self, key: &str, field: &Setting, sole: bool) -> String {
        let (value, from) = match self.given.get(key) {
            Some(value) if !value.is_empty() => {
                let shown = if field.secret { "[redacted]" } else { value };
                let from = match self.origins.get(key) {
                    Some(Source::File(path)) => path.clone(),
                    Some(Source::Env(name)) => name.clone(),
                    Some(Source::Default) | None => "default".to_owned(),
                };
                (shown.to_owned(), from)
            }
            _ => ("(unset)".to_owned(), "-".to_owned()),
        };
        let dotted = match key.split_once("].") {
            Some((account, field)) => {
                format!("{}.{field}", account.split('[').next().unwrap_or_default())
            }
            None => key.to_owned(),
        };
        let shown = if sole { dotted.as_str() } else { key };
        format!(
            "{shown:<32} = {value:<28} # from {from}; {}\n",
            env_name(&dotted)
        )
    }

    /// Every setting with its effective value (secrets redacted) and origin, for
    /// `orderbridge config`; accounts as `adm[0].base_url`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (section, fields) in SECTIONS {
            for field in *fields {
                out.push_str(&self.line(&key(section, field.key), field, false));
            }
        }
        for (section, fields) in accounts_of(self.kinds) {
            let count = self.count(section);
            if count == 0 {
                let _ = writeln!(out, "# no {section} account");
            }
            for index in 0..count {
                for field in fields {
                    let key = account_key(section, index, field.key);
                    out.push_str(&self.line(&key, field, count == 1));
                }
            }
        }
        out
    }
}

/// Reads `table` as the section `T`; an error names the key and where it came from.
fn read<T: DeserializeOwned + Default>(
    table: Option<toml::Table>,
    prefix: &str,
    origin: &dyn Fn(&str) -> String,
) -> Result<T> {
    let Some(table) = table else {
        return Ok(T::default());
    };
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let field = e.path().to_string();
        let dotted = if prefix.is_empty() {
            field
        } else {
            format!("{prefix}.{field}")
        };
        anyhow::anyhow!("{}: {}", origin(&dotted), e.inner())
    })
}

impl Given {
    fn into_loaded(mut self) -> Result<Loaded> {
        let mut given: BTreeMap<String, String> = BTreeMap::new();
        for (section, fields) in SECTIONS {
            let table = self.sections.get(section);
            for field in *fields {
                let value = table
                    .and_then(|t| t.get(field.key))
                    .map(text)
                    .or_else(|| field.default.map(str::to_owned));
                if let Some(value) = value {
                    given.insert(key(section, field.key), value);
                }
            }
        }
        for (section, fields) in accounts_of(self.kinds) {
            for (index, table) in self.accounts.get(section).into_iter().flatten().enumerate() {
                for field in fields {
                    let value = table
                        .get(field.key)
                        .map(text)
                        .or_else(|| field.default.map(str::to_owned));
                    if let Some(value) = value {
                        given.insert(account_key(section, index, field.key), value);
                    }
                }
            }
        }
        let mut loaded = Loaded {
            settings: Settings::default(),
            kinds: self.kinds,
            origins: std::mem::take(&mut self.origins),
            given,
            accounts: self.accounts.iter().map(|(s, a)| (*s, a.len())).collect(),
        };
        let mut sections = std::mem::take(&mut self.sections);
        let view = &loaded;
        let origin = |k: &str| view.origin(k);
        let settings = Settings {
            root: read::<Root>(sections.remove(Root::NAME), "", &origin)?,
            database: read::<DatabaseSection>(sections.remove("database"), "database", &origin)?,
            log: read::<LogSection>(sections.remove("log"), "log", &origin)?,
            http: read::<HttpSection>(sections.remove("http"), "http", &origin)?,
            warehouse: read::<WarehouseSection>(
                sections.remove("warehouse"),
                "warehouse",
                &origin,
            )?,
            shutdown: read::<ShutdownSection>(sections.remove("shutdown"), "shutdown", &origin)?,
            orders: read::<OrdersSection>(sections.remove("orders"), "orders", &origin)?,
            dispatch: read::<DispatchSection>(sections.remove("dispatch"), "dispatch", &origin)?,
            channels: read::<ChannelsSection>(sections.remove("channels"), "channels", &origin)?,
            alerts: read::<AlertsSection>(sections.remove("alerts"), "alerts", &origin)?,
            retention: read::<RetentionSection>(
                sections.remove("retention"),
                "retention",
                &origin,
            )?,
            accounts: std::mem::take(&mut self.accounts)
                .into_iter()
                .map(|(name, tables)| (name, tables.iter().map(json).collect()))
                .collect(),
        };
        loaded.settings = settings;
        Ok(loaded)
    }
}

/// An account's table as the JSON object its marketplace reads.
fn json(table: &toml::Table) -> String {
    serde_json::to_string(table).unwrap_or_else(|_| "{}".to_owned())
}
