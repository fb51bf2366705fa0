//! The marketplaces this build of orderbridge knows, one line each. A marketplace crate hands
//! the app a `MarketplaceKind`: its settings (read from `[[name]]` in the TOML file and
//! `ORDERBRIDGE_NAME_*`) and how it builds a channel account from them.

use orderbridge_domain::ports::channel::MarketplaceKind;

/// Every marketplace orderbridge can connect to.
pub const MARKETPLACES: &[&dyn MarketplaceKind] =
    &[&orderbridge_adm::Adm, &orderbridge_feedamp::Feedamp];
