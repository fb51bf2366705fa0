//! The OpenAPI 3.1 document, generated from the routes' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::ApiKeys;

/// Declares the two kinds of keys.
struct Keys;

impl Modify for Keys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = || {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key as a bearer token"))
                    .build(),
            )
        };
        components.add_security_scheme("warehouse_key", bearer());
        components.add_security_scheme("adm_key", bearer());
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "orderbridge",
        description = "Orders from marketplaces to the warehouse, and shipments, cancellations \
                       and refunds back. Every 4xx and 5xx answer is JSON `{error, message}`.",
    ),
    modifiers(&Keys),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "adm", description = "ADM's order webhook"),
        (name = "warehouse", description = "The warehouse API (bearer warehouse key)"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
struct ApiDoc;

/// The document's fixed parts; the routes add their paths.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The whole document as pretty JSON.
pub(crate) fn document() -> String {
    let (_, api) = crate::routes::api(ApiKeys::default()).split_for_parts();
    api.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}
