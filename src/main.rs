//! The `assetmap` command: serve a dataset, check a manifest, or write the demo data.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use assetmap::catalog::auth as accounts;
use assetmap::catalog::{Catalog, Role, StoreLocation};
use assetmap::http::auth::AuthOptions;
use assetmap::http::web::{Basemap, WebOptions};
use assetmap::http::{AppState, router};
use assetmap::ingest::{self, ImportFailure, Loaded, Progress};

/// Default address `serve` listens on.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default shutdown grace period, seconds.
const DEFAULT_GRACE_S: u64 = 10;
/// Default tile cache, MiB.
const DEFAULT_TILE_CACHE_MB: u64 = 128;

/// Maps community assets for UK councils: where residents can find support,
/// and which deprived wards are underserved.
#[derive(Parser)]
#[command(version, about, long_about = None, after_help = ENV_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

const ENV_HELP: &str = "Environment:
  ASSETMAP_MANIFEST   manifest for `serve` (same as --manifest)
  ASSETMAP_LISTEN     address for `serve` (same as --listen)
  ASSETMAP_CLUSTER_MAX_ZOOM, ASSETMAP_TILE_CACHE_MB   tile options of `serve`
  ASSETMAP_BASEMAP, ASSETMAP_BASEMAP_ATTRIBUTION      base map of `serve` (off by default)
  ASSETMAP_WEB_DIR    serve the pages' own files from this folder (developing them)
  ASSETMAP_PUBLIC_URL public base URL for links (same as --public-url)
  ASSETMAP_STORE      where the catalog is kept: a SQLite file or a postgres:// URL
  ASSETMAP_DATA_DIR   folder of the default SQLite store (else $XDG_DATA_HOME/assetmap,
                      else ~/.local/share/assetmap)
  RUST_LOG            log filter, e.g. `info` or `assetmap=debug` (default: info)

With no command, `assetmap` runs `serve` on the built-in demo dataset.";

#[derive(Subcommand)]
enum Command {
    /// Load a dataset and serve it over HTTP.
    Serve {
        /// Dataset manifest (TOML). Without one, the built-in fictional demo town is served.
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
        /// Address and port to listen on.
        #[arg(long, env = "ASSETMAP_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// Highest zoom at which assets are clustered in vector tiles (0..21).
        #[arg(long, env = "ASSETMAP_CLUSTER_MAX_ZOOM", default_value_t = assetmap::tiles::cluster::DEFAULT_MAX_ZOOM, value_parser = clap::value_parser!(u8).range(0..=21))]
        cluster_max_zoom: u8,
        /// Memory for rendered vector tiles, MiB (0 turns the tile cache off).
        #[arg(long, env = "ASSETMAP_TILE_CACHE_MB", default_value_t = DEFAULT_TILE_CACHE_MB, value_parser = clap::value_parser!(u64).range(0..=65_536))]
        tile_cache_mb: u64,
        /// Raster base map the web pages offer under the data (off until a user turns it on):
        /// an XYZ tile URL template such as https://tiles.example.gov.uk/{z}/{x}/{y}.png.
        /// Without one, the pages make no request to any other host.
        #[arg(long, env = "ASSETMAP_BASEMAP", requires = "basemap_attribution")]
        basemap: Option<String>,
        /// Attribution for --basemap, shown on the map.
        #[arg(long, env = "ASSETMAP_BASEMAP_ATTRIBUTION")]
        basemap_attribution: Option<String>,
        /// Serve the web pages' own files from this folder (normally web/static)
        /// instead of the copies built in, to work on them without rebuilding.
        #[arg(long, env = "ASSETMAP_WEB_DIR")]
        web_dir: Option<PathBuf>,
        /// A PMTiles archive (from `assetmap tiles export`) the residents'
        /// page draws its map from, served at /tiles/archive.pmtiles by byte
        /// ranges; searches, category filters and the planners' gap colours
        /// stay live.
        #[arg(long, env = "ASSETMAP_TILES_ARCHIVE")]
        tiles_archive: Option<PathBuf>,
        /// Where the catalog is kept: a SQLite file path, or a postgres:// URL
        /// (for several replicas). Default: a SQLite file named after the
        /// manifest in the data directory (ASSETMAP_DATA_DIR, else
        /// $XDG_DATA_HOME/assetmap, else ~/.local/share/assetmap).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// The public base URL (e.g. https://maps.example.gov.uk) that OGC API
        /// links, TileJSON and Location headers use. Without it, they follow
        /// the request's Host header.
        #[arg(long, env = "ASSETMAP_PUBLIC_URL")]
        public_url: Option<String>,
        /// On SIGTERM or SIGINT, how long requests in flight may take to
        /// finish before the server exits anyway, seconds.
        #[arg(long, env = "ASSETMAP_SHUTDOWN_GRACE_S", default_value_t = DEFAULT_GRACE_S, value_parser = clap::value_parser!(u64).range(0..=600))]
        shutdown_grace_s: u64,
        /// Time a client has to send a request's headers, seconds; also how
        /// long an idle keep-alive connection is kept.
        #[arg(long, env = "ASSETMAP_HEADER_TIMEOUT_S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        header_timeout_s: u64,
        /// Most connections open at once; one more is answered 503 and closed.
        #[arg(long, env = "ASSETMAP_MAX_CONNECTIONS", default_value_t = assetmap::http::server::DEFAULT_MAX_CONNECTIONS)]
        max_connections: usize,
        /// Costly requests (uncached gap analyses, scenarios, exports, cold
        /// low-zoom tiles) one client address may start per minute, after a
        /// burst of 30; past it, 429 with Retry-After. 0 for no limit.
        #[arg(long, env = "ASSETMAP_COSTLY_PER_MINUTE", default_value_t = assetmap::http::DEFAULT_HEAVY_PER_CLIENT_PER_MINUTE)]
        costly_per_minute: u32,
        /// Contributions (suggestions and reports) one client address may
        /// send per hour, after a burst of 5; past it, 429 with Retry-After.
        /// 0 for no limit.
        #[arg(long, env = "ASSETMAP_CONTRIBUTIONS_PER_HOUR", default_value_t = assetmap::http::contributions::DEFAULT_PER_HOUR)]
        contributions_per_hour: u32,
        /// Days after which an entry nobody has checked again is stale:
        /// marked so to residents and listed for officers at /api/review.
        #[arg(long, env = "ASSETMAP_REVIEW_INTERVAL_DAYS", default_value_t = assetmap::http::DEFAULT_REVIEW_INTERVAL_DAYS)]
        review_interval_days: u32,
        /// Mark the session cookie Secure even without X-Forwarded-Proto: https
        /// (behind a TLS-terminating proxy that does not send it).
        #[arg(long, env = "ASSETMAP_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Read a manifest's official sources and sync them into the store: new
    /// rows added, changed rows updated, rows gone from a source retired.
    Sync {
        /// Dataset manifest (TOML).
        manifest: PathBuf,
        /// The store (as for `serve`).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// Print the sync report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage people who sign in to the web pages.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Load a manifest's files, validate and join them, and print the import report.
    /// Exits 1 when the import cannot complete.
    Check {
        /// Dataset manifest (TOML).
        manifest: PathBuf,
        /// Print the report as JSON (lists every problem) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Export a collection (or all, as GeoPackage) to a file, with filters.
    Export {
        /// Dataset manifest (TOML). Without one, the built-in demo.
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
        /// assets, wards, small_areas, or all (GeoPackage only).
        #[arg(long, default_value = "assets")]
        collection: String,
        /// geojson (RFC 7946, CRS84), geojson-27700, csv, or gpkg (EPSG:27700).
        #[arg(long, default_value = "geojson")]
        format: String,
        /// Only these asset categories (repeatable).
        #[arg(long)]
        category: Vec<String>,
        /// Only these ward codes (repeatable).
        #[arg(long)]
        ward: Vec<String>,
        /// Only these council (LAD) codes (repeatable).
        #[arg(long)]
        council: Vec<String>,
        /// Only features meeting min_lon,min_lat,max_lon,max_lat (CRS84 degrees).
        #[arg(long, allow_hyphen_values = true)]
        bbox: Option<String>,
        /// File to write.
        #[arg(long, short)]
        output: PathBuf,
        /// Export the assets as they are in this store (officers' edits
        /// included), after syncing the manifest into it. Without it, the
        /// manifest's files as they are.
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
    },
    /// Gap analysis (docs/methods.md): per ward or small area, for one category.
    Gaps {
        /// Dataset manifest (TOML). Without one, the built-in demo.
        manifest: Option<PathBuf>,
        /// Asset category, e.g. gp.
        #[arg(long)]
        category: String,
        /// D: coverage distance in metres (100..10000).
        #[arg(long, default_value_t = assetmap::analysis::DEFAULT_COVERAGE_M)]
        coverage_m: f64,
        /// d0: 2SFCA catchment in metres (100..10000).
        #[arg(long, default_value_t = assetmap::analysis::DEFAULT_CATCHMENT_M)]
        catchment_m: f64,
        /// Rank among one council's wards (LAD code) instead of all.
        #[arg(long)]
        council: Option<String>,
        /// none (2SFCA) or steps (E2SFCA weights 1/0.68/0.22 over thirds of d0).
        #[arg(long, default_value = "none")]
        decay: String,
        /// wards or small-areas.
        #[arg(long, default_value = "wards")]
        level: String,
        /// csv, geojson or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// File to write (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Analyse the assets as they are in this store (as for `export`).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
    },
    /// Copy a SQLite store, consistently, while the server may be running
    /// (`VACUUM INTO`). For PostgreSQL, use pg_dump (docs/operations.md).
    Backup {
        /// The store (a SQLite file; as for `serve`).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// The manifest whose default store to use (without --store).
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
        /// The copy to write (must not exist).
        output: PathBuf,
    },
    /// Contributions from residents and community groups.
    Contributions {
        #[command(subcommand)]
        action: ContributionsAction,
    },
    /// Write the fictional demo dataset (Fictionford) into a folder.
    DemoData {
        /// Folder to write into (the repository keeps it in data/demo).
        dir: PathBuf,
    },
    /// Vector tiles as static files.
    Tiles {
        #[command(subcommand)]
        action: TilesAction,
    },
}

#[derive(Subcommand)]
enum TilesAction {
    /// Write every tile of the dataset's extent to one PMTiles v3 archive,
    /// for serving from object storage or a CDN with range requests.
    Export {
        /// Dataset manifest (TOML). Without one, the built-in demo.
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
        /// The assets as they are in this store (after a sync of the
        /// manifest into it); without it, the manifest's files.
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// Archive format: pmtiles.
        #[arg(long, default_value = "pmtiles")]
        format: String,
        /// File to write.
        #[arg(long, short)]
        output: PathBuf,
        /// Lowest zoom.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=16))]
        minzoom: u8,
        /// Highest zoom (each zoom has four times the tiles of the one before).
        #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u8).range(0..=16))]
        maxzoom: u8,
        /// Layers, comma-separated, in this order in each tile: small_areas, wards, assets (as /tiles/all serves them).
        #[arg(
            long,
            default_value = "small_areas,wards,assets",
            value_delimiter = ','
        )]
        layers: Vec<String>,
        /// Highest zoom at which assets are clustered (as for `serve`).
        #[arg(long, default_value_t = assetmap::tiles::cluster::DEFAULT_MAX_ZOOM, value_parser = clap::value_parser!(u8).range(0..=21))]
        cluster_max_zoom: u8,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add a user (or replace their role and password). Without
    /// --password-stdin, a strong password is made and printed once.
    Add {
        /// Sign-in name (letters, digits, '.', '-', '_').
        name: String,
        /// editor (changes assets) or admin (also runs syncs).
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The store (as for `serve`).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// The manifest whose default store to use (without --store).
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ContributionsAction {
    /// Delete contributors' e-mail addresses kept longer than the retention
    /// period after their contribution was decided (the privacy notice says
    /// 180 days; run it daily, e.g. from cron).
    Purge {
        /// Keep addresses of contributions decided fewer than this many days ago.
        #[arg(long, default_value_t = assetmap::catalog::contributions::CONTACT_RETENTION_DAYS)]
        older_than_days: u32,
        /// The store (as for `serve`).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// The manifest whose default store to use (without --store).
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Make an API token and print it once, on the last line of standard output.
    Add {
        /// What the token is for (letters, digits, '.', '-', '_').
        name: String,
        /// editor (changes assets) or admin (also runs syncs).
        #[arg(long)]
        role: String,
        /// The store (as for `serve`).
        #[arg(long, env = "ASSETMAP_STORE")]
        store: Option<String>,
        /// The manifest whose default store to use (without --store).
        #[arg(long, env = "ASSETMAP_MANIFEST")]
        manifest: Option<PathBuf>,
    },
}

/// How long to wait, how much to accept, how often clients may do costly
/// things, and when entries go stale: (grace_s, header_timeout_s,
/// max_connections, costly_per_minute, contributions_per_hour,
/// review_interval_days).
type ServeLimits = (u64, u64, usize, u32, u32, u32);

/// The folder the default store lives in.
fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ASSETMAP_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("assetmap");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/assetmap"),
        None => PathBuf::from("assetmap-data"),
    }
}

/// `--store`, or the default: `<data dir>/<manifest stem>.sqlite` (`demo.sqlite`).
fn store_location(store: Option<&str>, manifest: Option<&PathBuf>) -> StoreLocation {
    match store {
        Some(text) => StoreLocation::parse(text),
        None => {
            let stem = manifest
                .and_then(|m| m.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "demo".into());
            StoreLocation::Sqlite(data_dir().join(format!("{stem}.sqlite")))
        }
    }
}

/// The dataset as a store holds it (after a sync), or as loaded.
fn live(
    loaded: assetmap::model::Dataset,
    store: Option<&str>,
) -> anyhow::Result<Arc<assetmap::model::Dataset>> {
    match store {
        None => Ok(Arc::new(loaded)),
        Some(text) => {
            let store = open_store(&StoreLocation::parse(text))?;
            let (catalog, _) = Catalog::open(loaded, store)
                .map_err(|e| anyhow::anyhow!("the catalog could not be opened: {e}"))?;
            Ok(catalog.snapshot())
        }
    }
}

fn role(text: &str) -> anyhow::Result<Role> {
    Role::parse(text).ok_or_else(|| anyhow::anyhow!("--role {text:?}: use editor or admin"))
}

fn open_store(location: &StoreLocation) -> anyhow::Result<Box<dyn assetmap::catalog::Store>> {
    location
        .open()
        .map_err(|e| anyhow::anyhow!("cannot open the store: {e}"))
}

/// Shows import stages on stderr when it is a terminal.
struct TerminalProgress {
    enabled: bool,
}

impl Progress for TerminalProgress {
    fn stage(&self, step: usize, total: usize, what: &str) {
        if self.enabled {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[2K[{step}/{total}] loading {what}…");
            if step == total {
                let _ = writeln!(err);
            }
            let _ = err.flush();
        }
    }
}

fn load(manifest: Option<&PathBuf>) -> Result<Loaded, ImportFailure> {
    let progress = TerminalProgress {
        enabled: std::io::stderr().is_terminal(),
    };
    let loaded = match manifest {
        Some(path) => ingest::load_path(path, &progress),
        None => assetmap::demo::load(&progress),
    };
    if progress.enabled {
        eprintln!();
    }
    loaded
}

/// mimalloc rather than glibc's malloc: the server's tasks move between
/// worker threads, so memory is often freed on another thread than the one
/// that took it (request buffers, access-log lines handed to the log
/// writer), and glibc then takes the owning arena's lock; under load those
/// locks were a tenth of the server's time. See docs/operations.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Log lines go to stderr from a worker thread, in batches, so that the
    // access log does not put a write on every request's path. Not lossy: a
    // full buffer slows requests rather than dropping lines. The guard
    // flushes what is left when main returns.
    let (writer, _log_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer)
        .init();
    let default = Command::Serve {
        manifest: None,
        listen: DEFAULT_LISTEN.parse()?,
        cluster_max_zoom: assetmap::tiles::cluster::DEFAULT_MAX_ZOOM,
        tile_cache_mb: DEFAULT_TILE_CACHE_MB,
        basemap: None,
        basemap_attribution: None,
        web_dir: None,
        tiles_archive: None,
        store: None,
        public_url: None,
        shutdown_grace_s: DEFAULT_GRACE_S,
        header_timeout_s: 10,
        max_connections: assetmap::http::server::DEFAULT_MAX_CONNECTIONS,
        costly_per_minute: assetmap::http::DEFAULT_HEAVY_PER_CLIENT_PER_MINUTE,
        contributions_per_hour: assetmap::http::contributions::DEFAULT_PER_HOUR,
        review_interval_days: assetmap::http::DEFAULT_REVIEW_INTERVAL_DAYS,
        secure_cookies: false,
    };
    match cli.command.unwrap_or(default) {
        Command::Serve {
            manifest,
            listen,
            cluster_max_zoom,
            tile_cache_mb,
            basemap,
            basemap_attribution,
            web_dir,
            tiles_archive,
            store,
            public_url,
            shutdown_grace_s: grace_s,
            header_timeout_s,
            max_connections,
            costly_per_minute,
            contributions_per_hour,
            review_interval_days,
            secure_cookies,
        } => {
            let basemap = match basemap {
                Some(tiles) => Some(
                    Basemap::new(&tiles, basemap_attribution.as_deref().unwrap_or(""))
                        .map_err(anyhow::Error::msg)?,
                ),
                None => None,
            };
            let mut web = WebOptions::new(basemap, web_dir);
            if let Some(path) = tiles_archive {
                web = web.with_tiles_archive(path).map_err(anyhow::Error::msg)?;
            }
            let location = store_location(store.as_deref(), manifest.as_ref());
            let auth = AuthOptions {
                secure_cookies,
                ..AuthOptions::default()
            };
            serve(
                manifest,
                location,
                listen,
                cluster_max_zoom,
                tile_cache_mb,
                web,
                auth,
                public_url,
                (
                    grace_s,
                    header_timeout_s,
                    max_connections,
                    costly_per_minute,
                    contributions_per_hour,
                    review_interval_days,
                ),
            )
        }
        Command::Sync {
            manifest,
            store,
            json,
        } => {
            let loaded = load(Some(&manifest)).map_err(|f| {
                anyhow::anyhow!("the dataset could not be loaded:\n  {}", f.problem)
            })?;
            let location = store_location(store.as_deref(), Some(&manifest));
            let (_, report) = Catalog::open(loaded.dataset, open_store(&location)?)
                .map_err(|e| anyhow::anyhow!("the sync failed: {e}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", loaded.report.to_text());
                print!("{}", report.to_text(20));
            }
            Ok(())
        }
        Command::User {
            action:
                UserAction::Add {
                    name,
                    role: role_name,
                    password_stdin,
                    store,
                    manifest,
                },
        } => {
            let role = role(&role_name)?;
            let (password, shown) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (accounts::random_hex(12), true)
            };
            let user = accounts::new_user(&name, role, &password)?;
            let location = store_location(store.as_deref(), manifest.as_ref());
            open_store(&location)?
                .put_user(&user)
                .map_err(|e| anyhow::anyhow!("cannot save the user: {e}"))?;
            println!(
                "user {name} ({}) saved in {}",
                role.as_str(),
                open_store(&location)?.describe()
            );
            if shown {
                println!("password (shown once):");
                println!("{password}");
            }
            Ok(())
        }
        Command::Token {
            action:
                TokenAction::Add {
                    name,
                    role: role_name,
                    store,
                    manifest,
                },
        } => {
            let role = role(&role_name)?;
            let (record, secret) = accounts::new_token(&name, role)?;
            let location = store_location(store.as_deref(), manifest.as_ref());
            let mut s = open_store(&location)?;
            s.put_token(&record)
                .map_err(|e| anyhow::anyhow!("cannot save the token: {e}"))?;
            println!(
                "token {name} ({}) saved in {}; it is shown once, on the next line:",
                role.as_str(),
                s.describe()
            );
            println!("{secret}");
            Ok(())
        }
        Command::Check { manifest, json } => check(&manifest, json),
        Command::Export {
            manifest,
            collection,
            format,
            category,
            ward,
            council,
            bbox,
            output,
            store,
        } => {
            let loaded = load(manifest.as_ref()).map_err(|f| {
                anyhow::anyhow!("the dataset could not be loaded:\n  {}", f.problem)
            })?;
            let dataset = live(loaded.dataset, store.as_deref())?;
            let request = assetmap::export::ExportRequest {
                collection,
                format,
                categories: category,
                wards: ward,
                councils: council,
                bbox,
            };
            let bytes = assetmap::export::export_request(&dataset, &request)?;
            std::fs::write(&output, &bytes)
                .with_context(|| format!("writing {}", output.display()))?;
            println!("wrote {} bytes to {}", bytes.len(), output.display());
            if request.format == "csv" {
                // GDAL and QGIS read the column types from NAME.csvt beside NAME.csv.
                let types = assetmap::export::export_request(
                    &dataset,
                    &assetmap::export::ExportRequest {
                        format: "csvt".into(),
                        ..request.clone()
                    },
                )?;
                let sidecar = output.with_extension("csvt");
                std::fs::write(&sidecar, &types)
                    .with_context(|| format!("writing {}", sidecar.display()))?;
                println!("wrote the column types to {}", sidecar.display());
            }
            Ok(())
        }
        Command::Gaps {
            manifest,
            category,
            coverage_m,
            catchment_m,
            council,
            decay,
            level,
            format,
            output,
            store,
        } => {
            let loaded = load(manifest.as_ref()).map_err(|f| {
                anyhow::anyhow!("the dataset could not be loaded:\n  {}", f.problem)
            })?;
            let dataset = live(loaded.dataset, store.as_deref())?;
            let mut params = assetmap::analysis::GapParams::new(&category);
            params.coverage_m = coverage_m;
            params.catchment_m = catchment_m;
            params.council = council;
            params.decay = assetmap::analysis::Decay::parse(&decay)?;
            params.check(&dataset)?;
            let level = match level.as_str() {
                "wards" => assetmap::export::GapLevel::Wards,
                "small-areas" => assetmap::export::GapLevel::SmallAreas,
                other => anyhow::bail!("--level {other:?}: use wards or small-areas"),
            };
            let result = assetmap::analysis::analyse(&dataset, &params);
            let text = match format.as_str() {
                "csv" => assetmap::export::gaps_csv(&dataset, &result, level),
                "geojson" => assetmap::export::gaps_geojson(&dataset, &result, level).to_string(),
                "json" => serde_json::to_string_pretty(&assetmap::export::gaps_json(
                    &dataset, &result, level,
                ))?,
                other => anyhow::bail!("--format {other:?}: use csv, geojson or json"),
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(())
        }
        Command::Contributions {
            action:
                ContributionsAction::Purge {
                    older_than_days,
                    store,
                    manifest,
                },
        } => {
            let location = store_location(store.as_deref(), manifest.as_ref());
            let mut store = open_store(&location)?;
            let n = assetmap::catalog::contributions::forget_contact_emails(
                store.as_mut(),
                older_than_days,
            )
            .map_err(|e| anyhow::anyhow!("the purge failed: {e}"))?;
            println!(
                "deleted {n} contributors' e-mail addresses from contributions decided more than {older_than_days} days ago"
            );
            Ok(())
        }
        Command::Backup {
            store,
            manifest,
            output,
        } => {
            let StoreLocation::Sqlite(path) = store_location(store.as_deref(), manifest.as_ref())
            else {
                anyhow::bail!(
                    "backup copies SQLite stores; for PostgreSQL use pg_dump --format=custom (see docs/operations.md)"
                );
            };
            let copied = assetmap::catalog::sqlite::backup(&path, &output)
                .map_err(|e| anyhow::anyhow!("the backup failed: {e}"))?;
            println!(
                "copied {} (data version {copied}) to {}",
                path.display(),
                output.display()
            );
            Ok(())
        }
        Command::Tiles {
            action:
                TilesAction::Export {
                    manifest,
                    store,
                    format,
                    output,
                    minzoom,
                    maxzoom,
                    layers,
                    cluster_max_zoom,
                },
        } => {
            anyhow::ensure!(
                format == "pmtiles",
                "--format {format:?} is not supported; use pmtiles"
            );
            anyhow::ensure!(
                minzoom <= maxzoom,
                "--minzoom {minzoom} is above --maxzoom {maxzoom}"
            );
            let layers: Vec<assetmap::tiles::TileLayer> = layers
                .iter()
                .map(|name| {
                    assetmap::tiles::TileLayer::parse(name.trim())
                        .filter(|l| *l != assetmap::tiles::TileLayer::All)
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "--layers: {name:?} is not wards, small_areas or assets"
                            )
                        })
                })
                .collect::<anyhow::Result<_>>()?;
            let loaded = load(manifest.as_ref()).map_err(|f| {
                anyhow::anyhow!("the dataset could not be loaded:\n  {}", f.problem)
            })?;
            // A catalog gives every asset its permanent slot (tile feature id).
            let dataset = match store {
                Some(_) => live(loaded.dataset, store.as_deref())?,
                None => assetmap::catalog::Catalog::in_memory(loaded.dataset)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .snapshot(),
            };
            let source = assetmap::tiles::TileSource::new(&dataset, cluster_max_zoom);
            let started = std::time::Instant::now();
            let (bytes, counts) = assetmap::tiles::pmtiles::export(
                &dataset,
                &source,
                &layers,
                minzoom,
                maxzoom,
                |z, n| eprintln!("zoom {z}: {n} tiles"),
            );
            std::fs::write(&output, &bytes)
                .with_context(|| format!("writing {}", output.display()))?;
            println!(
                "wrote {} tiles ({} distinct, {} directory entries, {} leaf directories), {} bytes, to {} in {:.1} s",
                counts.tiles,
                counts.contents,
                counts.entries,
                counts.leaves,
                bytes.len(),
                output.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::DemoData { dir } => {
            let written = assetmap::demo::write(&dir)
                .with_context(|| format!("writing {}", dir.display()))?;
            println!("wrote {} files to {}", written.len(), dir.display());
            Ok(())
        }
    }
}

fn check(manifest: &PathBuf, json: bool) -> anyhow::Result<()> {
    let (report, failure) = match load(Some(manifest)) {
        Ok(loaded) => (loaded.report, None),
        Err(failure) => (*failure.report, Some(failure.problem)),
    };
    if json {
        let mut value = serde_json::to_value(&report)?;
        value["fatal"] = serde_json::to_value(&failure)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", report.to_text());
        if let Some(problem) = &failure {
            println!("\nThe import stopped:\n  {problem}");
        }
    }
    if failure.is_some() {
        std::process::exit(1);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn serve(
    manifest: Option<PathBuf>,
    location: StoreLocation,
    listen: SocketAddr,
    cluster_max_zoom: u8,
    tile_cache_mb: u64,
    web: WebOptions,
    auth: AuthOptions,
    public_url: Option<String>,
    limits: ServeLimits,
) -> anyhow::Result<()> {
    let (
        grace_s,
        header_timeout_s,
        max_connections,
        costly_per_minute,
        contributions_per_hour,
        review_interval_days,
    ) = limits;
    let loaded = match load(manifest.as_ref()) {
        Ok(loaded) => loaded,
        Err(failure) => {
            eprint!("{}", failure.report.to_text());
            anyhow::bail!("the dataset could not be loaded:\n  {}", failure.problem);
        }
    };
    let dataset = loaded.dataset;
    tracing::info!(
        dataset = %dataset.info.name,
        wards = dataset.wards.len(),
        small_areas = dataset.small_areas.len(),
        assets = dataset.assets.len(),
        problems = loaded.report.problems.len(),
        "dataset loaded"
    );
    if let StoreLocation::Sqlite(path) = &location {
        tracing::info!(store = %path.display(), "the catalog is kept in this SQLite file (choose another with --store)");
    }
    let store = open_store(&location)?;
    let (catalog, report) = Catalog::open(dataset, store)
        .map_err(|e| anyhow::anyhow!("the catalog could not be opened: {e}"))?;
    for line in report.to_text(10).lines() {
        tracing::info!("{line}");
    }
    let catalog = Arc::new(catalog);
    tracing::info!(store = %catalog.store_description(), version = catalog.version(), assets = catalog.snapshot().assets.len(), "catalog open");
    if let StoreLocation::Postgres(url) = &location {
        let c = catalog.clone();
        assetmap::catalog::postgres::listen(
            url.clone(),
            std::time::Duration::from_millis(500),
            move || {
                if let Err(e) = c.refresh() {
                    tracing::warn!(error = %e, "cannot apply other replicas' changes");
                }
            },
        );
    }
    // The pages' files get their ETags and gzip now, not on a first request.
    let started = std::time::Instant::now();
    let gzip_bytes = assetmap::http::web::prepare();
    tracing::debug!(
        gzip_bytes,
        ms = started.elapsed().as_millis() as u64,
        "web files prepared"
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        tracing::info!("serving on http://{}", listener.local_addr()?);
        let mut state = AppState::with_catalog(
            catalog,
            cluster_max_zoom,
            (tile_cache_mb as usize) * 1024 * 1024,
        )
        .with_web(web)
        .with_auth(auth)
        .with_heavy_per_client_per_minute(costly_per_minute)
        .with_contribution_rate(
            assetmap::http::contributions::DEFAULT_BURST,
            contributions_per_hour,
        )
        .with_review_interval_days(review_interval_days);
        if let Some(m) = manifest {
            state = state.with_manifest(m);
        }
        if let Some(url) = public_url {
            state = state.with_public_url(&url).map_err(anyhow::Error::msg)?;
        }
        state.prepare_tiles_in_background(assetmap::tiles::PREPARED_MAX_ZOOM);
        let app = router(state);
        // On SIGTERM or SIGINT: stop accepting, let requests in flight finish
        // for up to the grace period, then exit 0 even if a client stalls.
        let options = assetmap::http::server::ServeOptions {
            header_read_timeout: std::time::Duration::from_secs(header_timeout_s),
            max_connections,
            grace: std::time::Duration::from_secs(grace_s),
        };
        let left = assetmap::http::server::serve(listener, app, options, shutdown_signal()).await;
        if left > 0 {
            tracing::warn!(
                grace_s,
                connections = left,
                "the grace period is over; closing the connections still open"
            );
        }
        tracing::info!("stopped");
        Ok(())
    });
    // Work still running on blocking threads (a long analysis) is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd, Docker, Kubernetes).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
