//! The OpenAPI 3.0 document (`/api`): every route and parameter, with bounds.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ogc::{self, SUPPORTED_CRS};
use super::params::{self, Query};
use super::{ApiError, AppState, gaps, nearby};
use crate::export::ExportFormat;

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn path(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string", "maxLength": 256}})
}

fn get(summary: &str, parameters: Vec<Value>, media: &str) -> Value {
    json!({"get": {
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK", "content": {media: {}}},
            "400": {"$ref": "#/components/responses/BadRequest"},
            "404": {"$ref": "#/components/responses/NotFound"},
        },
    }})
}

fn crs_schema() -> Value {
    json!({"type": "string", "format": "uri", "enum": SUPPORTED_CRS.iter().map(|c| c.uri()).collect::<Vec<_>>()})
}

fn f_param() -> Value {
    query(
        params::F,
        "output format",
        json!({"type": "string", "enum": ["json", "geojson"]}),
    )
}

fn list(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string", "maxLength": params::MAX_VALUE_LEN}, "description": description})
}

fn distance_schema() -> Value {
    json!({"type": "number", "minimum": crate::analysis::MIN_DISTANCE_M, "maximum": crate::analysis::MAX_DISTANCE_M})
}

fn gap_params(with_format: bool) -> Vec<Value> {
    let mut out = vec![
        json!({"name": params::CATEGORY, "in": "query", "required": true, "description": "asset category (see /api/categories)", "schema": {"type": "string"}}),
        query(
            gaps::COVERAGE_M,
            "D: coverage distance in metres (inclusive)",
            {
                let mut s = distance_schema();
                s["default"] = json!(crate::analysis::DEFAULT_COVERAGE_M);
                s
            },
        ),
        query(
            gaps::CATCHMENT_M,
            "d0: 2SFCA catchment in metres (inclusive)",
            {
                let mut s = distance_schema();
                s["default"] = json!(crate::analysis::DEFAULT_CATCHMENT_M);
                s
            },
        ),
        query(
            params::COUNCIL,
            "rank among this council's wards (LAD code) instead of all",
            json!({"type": "string"}),
        ),
        query(
            gaps::DECAY,
            "none (2SFCA) or steps (E2SFCA weights 1/0.68/0.22 over thirds of d0)",
            json!({"type": "string", "enum": ["none", "steps"], "default": "none"}),
        ),
    ];
    if with_format {
        out.push(query(
            params::FORMAT,
            "json; geojson with polygons; csv (header first; each row ends with the analysis parameters, result_hash and dataset_hash); gpkg (GeoPackage in EPSG:27700 with an analysis_provenance table)",
            json!({"type": "string", "enum": ["json", "geojson", "csv", "gpkg"], "default": "json"}),
        ));
    }
    out
}

/// The OpenAPI document.
pub fn document(base: &str) -> Value {
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets", "wards", "small_areas"]}});
    let mut items = get(
        "Features of a collection, paged. Queryables (see /collections/{collectionId}/queryables) filter by equality, e.g. category=gp (repeatable or comma-separated).",
        vec![
            collection_id.clone(),
            query(
                params::BBOX,
                "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs; inverted boxes are refused",
                json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}),
            ),
            query(
                params::BBOX_CRS,
                "CRS of bbox (default CRS84)",
                crs_schema(),
            ),
            query(
                params::LIMIT,
                "page size",
                json!({"type": "integer", "minimum": 1, "maximum": ogc::MAX_LIMIT, "default": ogc::DEFAULT_LIMIT}),
            ),
            query(
                params::OFFSET,
                "features to skip",
                json!({"type": "integer", "minimum": 0, "maximum": ogc::MAX_OFFSET, "default": 0}),
            ),
            query(
                params::PROPERTIES,
                "comma-separated property names to include",
                json!({"type": "string"}),
            ),
            query(
                params::CRS,
                "CRS of the response geometry (default CRS84; EPSG:4326 is latitude first)",
                crs_schema(),
            ),
            query("category", "assets: category id", list("category ids")),
            query(
                "ward_code",
                "assets, small_areas: ward code",
                list("ward codes"),
            ),
            query("council_code", "council (LAD) code", list("council codes")),
            query(
                "small_area_code",
                "assets: small-area code",
                list("small-area codes"),
            ),
            query("source", "assets: manifest source", list("source names")),
            query("code", "wards: ward code", list("ward codes")),
            query(
                "imd_decile",
                "small_areas: national IMD decile",
                list("deciles 1..10"),
            ),
            f_param(),
        ],
        "application/geo+json",
    );
    items["get"]["responses"]["200"]["headers"] = json!({"Content-Crs": {"schema": {"type": "string"}, "description": "the CRS of the geometry, as <uri>"}});
    let formats: Vec<&str> = ExportFormat::ALL.iter().map(|(n, _)| *n).collect();
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "assetmap",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Community assets for UK councils, joined to wards, small areas and the English Indices of Deprivation. OGC API - Features Part 1 and 2 under /collections; resident and planner APIs under /api.",
        },
        "servers": [{"url": base}],
        "paths": {
            "/": get("Landing page (JSON for API clients; the residents' web page for a browser that asks for text/html, or with f=html)", vec![query(params::F, "json (the OGC landing page) or html (the residents' page)", json!({"type": "string", "enum": ["json", "html"]}))], "application/json"),
            "/conformance": get("Conformance classes", vec![f_param()], "application/json"),
            "/collections": get("Feature collections", vec![f_param()], "application/json"),
            "/collections/{collectionId}": get("One collection", vec![collection_id.clone(), f_param()], "application/json"),
            "/collections/{collectionId}/queryables": get("Properties that can filter items", vec![collection_id.clone(), f_param()], "application/schema+json"),
            "/collections/{collectionId}/items": items,
            "/collections/{collectionId}/items/{featureId}": get("One feature", vec![collection_id, path("featureId", "feature id"), query(params::CRS, "CRS of the geometry", crs_schema()), f_param()], "application/geo+json"),
            "/api": get("This document", vec![f_param()], "application/vnd.oai.openapi+json;version=3.0"),
            "/health": get("Liveness", vec![], "application/json"),
            "/api/dataset": get("Dataset summary: sources, counts, vintages, extent, content hash", vec![], "application/json"),
            "/api/categories": get("Asset categories with counts", vec![], "application/json"),
            "/api/nearby": get(
                "Nearest assets to a point or postcode, nearest first (straight-line distance in British National Grid metres)",
                vec![
                    query(params::LON, "longitude, WGS84 degrees (with lat)", json!({"type": "number", "minimum": -180, "maximum": 180})),
                    query(params::LAT, "latitude, WGS84 degrees (with lon)", json!({"type": "number", "minimum": -90, "maximum": 90})),
                    query(params::POSTCODE, "UK postcode, any case and spacing (instead of lon/lat)", json!({"type": "string", "maxLength": 16})),
                    query(params::CATEGORY, "category ids (repeatable or comma-separated)", list("category ids")),
                    query(params::LIMIT, "most results", json!({"type": "integer", "minimum": 1, "maximum": nearby::MAX_LIMIT, "default": nearby::DEFAULT_LIMIT})),
                    query(params::RADIUS_M, "only assets within this distance", json!({"type": "number", "minimum": 1, "maximum": nearby::MAX_RADIUS_M})),
                    query(params::OPEN, "only places open now (exact or approximate hours), or open now or later today; the answer's left_out says how many nearer places were left out as closed or with hours not known", json!({"type": "string", "enum": ["now", "today"]})),
                    query(params::AT, "the time to judge opening at, instead of now: RFC 3339 (2026-12-05T18:00:00Z) or London wall time (2026-12-05T18:00)", json!({"type": "string", "maxLength": 40})),
                ],
                "application/geo+json",
            ),
            "/print": get("A printable A4 sheet (HTML, no JavaScript) of up to 12 places nearest a postcode or point: names, distance, the week's hours, phone, address, the date printed, attribution and a QR code back to the live search", vec![
                query(params::POSTCODE, "UK postcode (or lon and lat)", json!({"type": "string", "maxLength": 16})),
                query(params::CATEGORY, "category ids (comma-separated)", list("category ids")),
                query(params::OPEN, "now or today", json!({"type": "string", "enum": ["now", "today"]})),
                query(params::AT, "the time the hours are shown for", json!({"type": "string", "maxLength": 40})),
            ], "text/html"),
            "/api/search": get("Entries whose name or organisation holds the words, places on the map and services with no place (by phone or online) alike; on_map says which", vec![
                query(nearby::Q, "the words to look for (2 to 200 characters)", json!({"type": "string", "minLength": 2, "maxLength": nearby::MAX_QUERY_CHARS})),
                query(params::CATEGORY, "category ids (repeatable or comma-separated)", list("category ids")),
                query(params::LIMIT, "most results", json!({"type": "integer", "minimum": 1, "maximum": nearby::MAX_LIMIT, "default": nearby::DEFAULT_SEARCH_LIMIT})),
                query(params::OFFSET, "results to skip", json!({"type": "integer", "minimum": 0})),
            ], "application/json"),
            "/api/listings": get("Services with no place (by phone or online only) of the chosen kinds, by name; never on the map", vec![
                query(params::CATEGORY, "category ids (repeatable or comma-separated)", list("category ids")),
                query(params::LIMIT, "most results", json!({"type": "integer", "minimum": 1, "maximum": nearby::MAX_LIMIT, "default": nearby::DEFAULT_SEARCH_LIMIT})),
                query(params::OFFSET, "results to skip", json!({"type": "integer", "minimum": 0})),
            ], "application/json"),
            "/api/wards": get("Every ward's population, IMD score, decile-1 share and asset counts", vec![query(params::COUNCIL, "council (LAD) codes", list("council codes"))], "application/json"),
            "/api/wards/{code}": get("A ward's full profile: deprivation and domains, assets, small areas, vintages and join method", vec![path("code", "ward code")], "application/json"),
            "/api/small-areas/{code}": get("A small area's deprivation, population, demand point, ward and assets", vec![path("code", "small-area code")], "application/json"),
            "/api/gaps": get("Gap analysis per ward: coverage, 2SFCA access, need and access percentiles, gap, underserved; with provenance", gap_params(true), "application/json"),
            "/api/gaps/small-areas": get("Gap analysis per small area: nearest asset, covered, access per 1000", gap_params(true), "application/json"),
            "/api/gaps/suggest": get("Up to n candidate sites, chosen greedily to cover the most deprived uncovered residents", {
                let mut p = gap_params(false);
                p.push(query(gaps::N, "how many sites", json!({"type": "integer", "minimum": 1, "maximum": crate::analysis::MAX_SUGGESTIONS, "default": 5})));
                p
            }, "application/json"),
            "/api/gaps/scenario": {"post": {
                "summary": "What-if: per-ward before/after/delta of coverage, access and gap with hypothetical assets added and existing ones removed (the live data is unchanged)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["category"],
                    "additionalProperties": false,
                    "properties": {
                        "category": {"type": "string"},
                        "coverage_m": distance_schema(),
                        "catchment_m": distance_schema(),
                        "council": {"type": "string"},
                        "decay": {"type": "string", "enum": ["none", "steps"]},
                        "add": {"type": "array", "maxItems": gaps::MAX_ADDED, "items": {"type": "object", "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}, "easting": {"type": "number"}, "northing": {"type": "number"}}}},
                        "remove": {"type": "array", "maxItems": gaps::MAX_REMOVED, "items": {"type": "string"}},
                    },
                }}}},
                "responses": {"200": {"description": "OK", "content": {"application/json": {}}}, "400": {"$ref": "#/components/responses/BadRequest"}},
            }},
            "/tiles/{layer}/{z}/{x}/{y}.mvt": get(
                "A Mapbox Vector Tile (2.1); an empty tile is 200 with a zero-length body (a valid MVT of no layers); strong ETag, If-None-Match, gzip",
                vec![
                    json!({"name": "layer", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets", "wards", "small_areas", "all"]}}),
                    json!({"name": "z", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": crate::tiles::MAX_ZOOM}}),
                    json!({"name": "x", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}, "description": "0 to 2^z - 1"}),
                    json!({"name": "y", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}, "description": "0 to 2^z - 1"}),
                    query(params::CATEGORY, "assets, all: cluster only these categories", list("category ids")),
                    query(super::tiles::GAPS, "wards, all: add gap figures for this category", json!({"type": "string"})),
                    query(gaps::COVERAGE_M, "with gaps: D", distance_schema()),
                    query(gaps::CATCHMENT_M, "with gaps: d0", distance_schema()),
                    query(params::COUNCIL, "with gaps: rank within a council", json!({"type": "string"})),
                    query(gaps::DECAY, "with gaps: none or steps", json!({"type": "string", "enum": ["none", "steps"]})),
                ],
                super::tiles::MVT_TYPE,
            ),
            "/tiles/{layer}.json": get("TileJSON 3.0.0 of a tile layer", vec![json!({"name": "layer", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets", "wards", "small_areas", "all"]}})], "application/json"),
            "/api/export/{collection}": get(
                "Download a collection (or all, as GeoPackage)",
                vec![
                    json!({"name": "collection", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets", "wards", "small_areas", "all"]}}),
                    query(params::FORMAT, "file format", json!({"type": "string", "enum": formats, "default": "geojson"})),
                    query(params::CATEGORY, "asset categories", list("category ids")),
                    query(params::WARD, "ward codes", list("ward codes")),
                    query(params::COUNCIL, "council codes", list("council codes")),
                    query(params::BBOX, "min_lon,min_lat,max_lon,max_lat (CRS84)", json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4})),
                ],
                "application/octet-stream",
            ),
        },
        "components": {
            "schemas": {
                "exception": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}, "description": {"type": "string"}, "errors": {"type": "array", "description": "on a 422, every field found wrong, one each, in the order found", "items": {"type": "object", "required": ["field", "message"], "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}},
            },
            "responses": {
                "BadRequest": {"description": "A parameter is wrong; the description names it and the allowed values", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}},
                "NotFound": {"description": "No such resource", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}},
            },
        },
    });
    add_writes(&mut doc);
    doc
}

/// The write operations (OGC API - Features Part 4), accounts and history.
fn add_writes(doc: &mut Value) {
    let error = |what: &str| json!({"description": what, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}});
    let secured = json!([{"bearer": []}, {"session": []}]);
    let feature_body = json!({"required": true, "content": {
        "application/geo+json": {"schema": {"$ref": "#/components/schemas/assetFeature"}},
        "application/json": {"schema": {"$ref": "#/components/schemas/assetFeature"}},
    }});
    let if_match = json!({"name": "If-Match", "in": "header", "required": true, "schema": {"type": "string"}, "description": "the feature's ETag, e.g. \"r3\""});
    let reason = json!({"name": "X-Change-Reason", "in": "header", "required": false, "schema": {"type": "string", "maxLength": super::edit::MAX_REASON_CHARS}, "description": "why, kept in the history"});
    let content_crs = json!({"name": "Content-Crs", "in": "header", "required": false, "schema": {"type": "string"}, "description": "CRS of the body's coordinates: <http://www.opengis.net/def/crs/OGC/1.3/CRS84> (default) or <http://www.opengis.net/def/crs/EPSG/0/27700>"});
    let written = |code: &str, what: &str| {
        let mut r = json!({
            "401": error("No or invalid credentials"),
            "403": error("Signed in without the role, or without the CSRF token"),
            "404": error("No such feature"),
            "412": error("If-Match is stale: someone changed the feature"),
            "422": error("A field is invalid; the description names it"),
            "428": error("If-Match is missing"),
        });
        r[code] = json!({"description": what, "headers": {"ETag": {"schema": {"type": "string"}}, "Location": {"schema": {"type": "string"}}}});
        r
    };
    let paths = &mut doc["paths"];
    paths["/collections/{collectionId}/items"]["post"] = json!({
        "summary": "Create an asset (editors; collectionId must be assets)",
        "security": secured, "parameters": [{"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets"]}}, reason, content_crs],
        "requestBody": feature_body,
        "responses": {
            "201": {"description": "Created", "headers": {"ETag": {"schema": {"type": "string"}}, "Location": {"schema": {"type": "string"}}}},
            "401": error("No or invalid credentials"), "403": error("Wrong role or no CSRF token"),
            "415": error("Not GeoJSON"), "422": error("A field is invalid; the description names it"),
        },
    });
    let id_params = json!([{"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets"]}}, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}, if_match, reason, content_crs]);
    paths["/collections/{collectionId}/items/{featureId}"]["put"] = json!({
        "summary": "Replace an asset (editors): every writable property not given is cleared",
        "security": secured, "parameters": id_params, "requestBody": feature_body, "responses": written("200", "Replaced"),
    });
    paths["/collections/{collectionId}/items/{featureId}"]["patch"] = json!({
        "summary": "Update an asset with a JSON merge patch (RFC 7396) of a Feature (editors)",
        "security": secured, "parameters": id_params,
        "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/geo+json": {"schema": {"type": "object"}}}},
        "responses": written("200", "Updated"),
    });
    paths["/collections/{collectionId}/items/{featureId}"]["delete"] = json!({
        "summary": "Retire an asset (editors): it leaves the map, search and analysis; its history is kept",
        "security": secured, "parameters": id_params, "responses": written("204", "Retired"),
    });
    paths["/api/assets/{id}/history"] = json!({"get": {
        "summary": "Every revision of an asset: when, who, what (create, update, retire, restore), each changed field before and after, and why",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "OK", "content": {"application/json": {}}}, "404": error("No such asset")},
    }});
    paths["/api/sync"] = json!({"post": {
        "summary": "Read the manifest's official sources again and sync them into the catalog (admins); answers the sync report",
        "security": secured,
        "responses": {"200": {"description": "The sync report", "content": {"application/json": {}}}, "401": error("No or invalid credentials"), "403": error("Not an admin"), "409": error("The server has no manifest (the demo)")},
    }});
    let contribution_schema = json!({
        "type": "object",
        "required": ["kind"],
        "additionalProperties": false,
        "properties": {
            "kind": {"type": "string", "enum": ["new", "change", "closure"]},
            "asset_id": {"type": "string", "description": "the place a change or closure is about"},
            "name": {"type": "string", "maxLength": crate::catalog::fields::MAX_NAME_CHARS},
            "category": {"type": "string", "description": "a category id, or other (with other_category)"},
            "other_category": {"type": "string", "maxLength": crate::catalog::contributions::MAX_OTHER_CHARS},
            "lon": {"type": "number"}, "lat": {"type": "number"},
            "postcode": {"type": "string"},
            "address": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"},
            "website": {"type": "string"}, "opening_hours": {"type": "string"},
            "note": {"type": "string", "maxLength": crate::catalog::contributions::MAX_NOTE_CHARS},
            "contact_email": {"type": "string", "description": "yours, kept private: never shown or exported"},
            "leave_empty": {"type": "string", "description": "must be empty (it catches robots)"},
            "status": {"type": "string", "enum": ["active", "temporarily_closed", "retired"], "description": "a closure: temporarily_closed (closed for now, stays on the map marked closed) or retired (for good, the default); a change: active (open again) or temporarily_closed"},
        }
    });
    paths["/api/contributions"] = json!({
        "post": {
            "summary": "Suggest a place, or report a change or closure (anyone; a few per client an hour). Nothing is public until an officer approves it",
            "requestBody": {"required": true, "content": {"application/json": {"schema": contribution_schema}}},
            "responses": {"201": {"description": "Received: the reference and the status page", "content": {"application/json": {}}}, "413": error("Larger than 16 KiB"), "415": error("Not JSON"), "422": error("A field is invalid (named)"), "429": error("Too many from this client; see Retry-After")},
        },
        "get": {
            "summary": "The queue, oldest first (editors); never the contributors' e-mail addresses",
            "security": secured,
            "parameters": [
                query("status", "pending (default all), approved, changed_and_approved, declined, merged or all", json!({"type": "string"})),
                query("limit", "most contributions", json!({"type": "integer", "minimum": 1, "maximum": super::contributions::MAX_QUEUE, "default": 100})),
            ],
            "responses": {"200": {"description": "The contributions", "content": {"application/json": {}}}, "401": error("No or invalid credentials"), "403": error("Not an editor")},
        },
    });
    paths["/api/contributions/{reference}"] = json!({"get": {
        "summary": "Where a contribution stands (anyone with the reference): status, dates, a decline's reason",
        "parameters": [path("reference", "the reference, e.g. C3F9-1A7E-0B42")],
        "responses": {"200": {"description": "OK", "content": {"application/json": {}}}, "404": error("No such contribution")},
    }});
    paths["/api/contributions/{reference}/decision"] = json!({"post": {
        "summary": "Approve (with edits), decline (with a reason) or merge into an existing asset (editors); applied through the catalog, the revision naming the contribution",
        "security": secured,
        "parameters": [path("reference", "the reference")],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["decision"], "additionalProperties": false,
            "properties": {
                "decision": {"type": "string", "enum": ["approve", "decline", "merge"]},
                "reason": {"type": "string"},
                "into": {"type": "string", "description": "with merge: the existing asset"},
                "edits": {"type": "object", "description": "fields to change before approving (name, category, lon/lat, postcode, address, phone, email, website, opening_hours, status: a closure's temporarily_closed or retired)"},
            }
        }}}},
        "responses": {"200": {"description": "The decided contribution", "content": {"application/json": {}}}, "401": error("No or invalid credentials"), "403": error("Not an editor"), "404": error("No such contribution"), "409": error("Decided already"), "422": error("A field is invalid (named)")},
    }});
    paths["/api/review"] = json!({"get": {
        "summary": "Entries not checked within the review interval, least recently checked first (editors)",
        "security": secured,
        "parameters": [query("limit", "most entries", json!({"type": "integer", "minimum": 1, "maximum": super::contributions::MAX_QUEUE, "default": 100}))],
        "responses": {"200": {"description": "The stale entries, with the interval and the date before which a check is stale", "content": {"application/json": {}}}, "401": error("No or invalid credentials"), "403": error("Not an editor")},
    }});
    paths["/api/stewards"] = json!({"post": {
        "summary": "Invite a community group's steward (editors): they keep their organisation's entries current. Answers the sign-in name and a password, once",
        "security": secured,
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "organisation"], "additionalProperties": false, "properties": {"name": {"type": "string"}, "organisation": {"type": "string"}}}}}},
        "responses": {"201": {"description": "Invited", "content": {"application/json": {}}}, "401": error("No or invalid credentials"), "403": error("Not an editor"), "409": error("The name is taken"), "422": error("A field is invalid")},
    }});
    paths["/api/assets/{id}/confirm"] = json!({"post": {
        "summary": "Still correct: sets the entry's last check to today (its organisation's steward, or an editor)",
        "security": secured,
        "parameters": [path("id", "asset id")],
        "responses": {"200": {"description": "The entry", "content": {"application/geo+json": {}}}, "401": error("No or invalid credentials"), "403": error("Not this entry's steward"), "404": error("No such entry")},
    }});
    paths["/contributions/{reference}"] = json!({"get": {
        "summary": "The contributor's status page (HTML, no sign-in)",
        "parameters": [path("reference", "the reference")],
        "responses": {"200": {"description": "OK", "content": {"text/html": {}}}, "404": {"description": "No such contribution", "content": {"text/html": {}}}},
    }});
    paths["/api/session"] = json!({"get": {
        "summary": "The signed-in user, role and CSRF token (send it as X-CSRF-Token with writes)",
        "responses": {"200": {"description": "OK", "content": {"application/json": {}}}, "401": error("Not signed in")},
    }});
    paths["/signin"] = json!({
        "get": {"summary": "The sign-in form", "responses": {"200": {"description": "OK", "content": {"text/html": {}}}}},
        "post": {"summary": "Sign in (form: name, password); sets an HttpOnly, SameSite=Strict session cookie", "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"name": {"type": "string"}, "password": {"type": "string"}}}}}}, "responses": {"303": {"description": "Signed in"}, "401": {"description": "Wrong name or password"}, "429": error("Too many attempts; see Retry-After")}},
    });
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API token from `assetmap token add`"},
        "session": {"type": "apiKey", "in": "cookie", "name": super::auth::SESSION_COOKIE, "description": "a web session from /signin; writes also need the X-CSRF-Token header"},
    });
    doc["components"]["schemas"]["assetFeature"] = json!({
        "type": "object",
        "required": ["type", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {"nullable": true, "type": "object", "description": "a Point in CRS84 (or Content-Crs); null to place it at a known postcode"},
            "properties": {"type": "object", "required": ["category", "name"], "properties": {
                "category": {"type": "string"},
                "name": {"type": "string", "maxLength": crate::catalog::fields::MAX_NAME_CHARS},
                "address": {"type": "string", "maxLength": crate::catalog::fields::MAX_ADDRESS_CHARS},
                "postcode": {"type": "string"},
                "phone": {"type": "string"},
                "email": {"type": "string", "format": "email", "maxLength": crate::catalog::fields::MAX_EMAIL_CHARS},
                "website": {"type": "string", "format": "uri", "maxLength": crate::catalog::fields::MAX_URL_CHARS},
                "opening_hours": {"type": "string", "maxLength": crate::catalog::fields::MAX_OPENING_HOURS_CHARS},
                "capacity": {"type": "number", "minimum": 0, "maximum": crate::catalog::fields::MAX_CAPACITY},
                "status": {"type": "string", "enum": ["active", "temporarily_closed"]},
                "verified_at": {"type": "string", "format": "date"},
            }},
        },
    });
}

/// `GET /api`
pub async fn openapi(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::F], &[])?;
    if let Some(f) = q.get(params::F).filter(|f| *f != "json") {
        return Err(ApiError::bad(format!("f={f:?} is not offered; use f=json")));
    }
    let doc = document(&ogc::base_url(&state, &headers));
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        doc.to_string(),
    )
        .into_response())
}
