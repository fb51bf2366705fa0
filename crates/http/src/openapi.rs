//! The OpenAPI 3.1 document, generated from the routes' annotations.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
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

/// An answer the layers around the handlers can give, declared once under `components`.
struct Answer {
    /// Its name under `components/responses`.
    name: &'static str,
    status: &'static str,
    description: &'static str,
}

const BAD_REQUEST: Answer = Answer {
    name: "BadRequest",
    status: "400",
    description: "A malformed request: a parameter, the path or the body is invalid",
};
const UNAUTHORIZED: Answer = Answer {
    name: "Unauthorized",
    status: "401",
    description: "Missing or wrong key",
};
const NOT_FOUND: Answer = Answer {
    name: "NotFound",
    status: "404",
    description: "No such resource, or no route for this path (an empty id)",
};
const PAYLOAD_TOO_LARGE: Answer = Answer {
    name: "PayloadTooLarge",
    status: "413",
    description: "The body is larger than the server accepts",
};
const UNSUPPORTED_MEDIA_TYPE: Answer = Answer {
    name: "UnsupportedMediaType",
    status: "415",
    description: "The body is not `application/json`",
};
const SERVER_ERROR: Answer = Answer {
    name: "ServerError",
    status: "500",
    description: "An unexpected failure; the answer shows no internals",
};
const UNAVAILABLE: Answer = Answer {
    name: "Unavailable",
    status: "503",
    description: "The request took longer than the time limit, or the store does not answer",
};

const ALL_ANSWERS: [&Answer; 7] = [
    &BAD_REQUEST,
    &UNAUTHORIZED,
    &NOT_FOUND,
    &PAYLOAD_TOO_LARGE,
    &UNSUPPORTED_MEDIA_TYPE,
    &SERVER_ERROR,
    &UNAVAILABLE,
];

/// An error answer with the `{error, message}` body.
fn error_answer(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// The common answers `operation` on `path` can get: any request can be malformed, fail
/// unexpectedly (panics are caught) or time out; a secured one can lack its key; one with a
/// JSON body can send too much or the wrong type; one with a path parameter can name nothing.
fn common_answers(path: &str, operation: &Operation) -> Vec<&'static Answer> {
    let mut answers = vec![&BAD_REQUEST, &SERVER_ERROR, &UNAVAILABLE];
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        answers.push(&UNAUTHORIZED);
    }
    if operation.request_body.is_some() {
        answers.extend([&PAYLOAD_TOO_LARGE, &UNSUPPORTED_MEDIA_TYPE]);
    }
    if path.contains('{') {
        answers.push(&NOT_FOUND);
    }
    answers
}

/// Adds the common answers to every operation that does not describe them itself.
fn declare_common_answers(api: &mut utoipa::openapi::OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    for answer in ALL_ANSWERS {
        components.responses.insert(
            answer.name.to_owned(),
            RefOr::T(error_answer(answer.description)),
        );
    }
    for (path, item) in &mut api.paths.paths {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for answer in common_answers(path, operation) {
                operation
                    .responses
                    .responses
                    .entry(answer.status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(answer.name)));
            }
        }
    }
}

/// The whole document as pretty JSON.
pub(crate) fn document() -> String {
    let (_, mut api) = crate::routes::api(ApiKeys::default()).split_for_parts();
    declare_common_answers(&mut api);
    api.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}
