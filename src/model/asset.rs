//! A community asset: one place a resident can go for support.

use geo::Coord;
use serde::Serialize;

/// Whether an asset is open for business.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// Open: on the map, in search and in the gap analysis.
    #[default]
    Active,
    /// Closed for now: on the map and in search (marked so), not counted as
    /// supply in the gap analysis.
    TemporarilyClosed,
    /// Gone: off the map, search and analysis; its history is kept.
    Retired,
}

impl AssetStatus {
    /// The status as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Active => "active",
            AssetStatus::TemporarilyClosed => "temporarily_closed",
            AssetStatus::Retired => "retired",
        }
    }

    /// Parses a stored or served status.
    pub fn parse(text: &str) -> Option<AssetStatus> {
        match text {
            "active" => Some(AssetStatus::Active),
            "temporarily_closed" => Some(AssetStatus::TemporarilyClosed),
            "retired" => Some(AssetStatus::Retired),
            _ => None,
        }
    }

    /// The status in words for people.
    pub fn words(self) -> &'static str {
        match self {
            AssetStatus::Active => "Open",
            AssetStatus::TemporarilyClosed => "Closed for now",
            AssetStatus::Retired => "Closed for good",
        }
    }

    /// Whether the asset counts as supply in the gap analysis.
    pub fn supplies(self) -> bool {
        self == AssetStatus::Active
    }
}

/// What a community directory says about a service beyond where and when:
/// kept as published (after sanitising to plain text), shown on its entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Details {
    /// The organisation that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// What it offers, as plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Access notes (step-free access, hearing loops, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<String>,
    /// The entry at its source (a directory's page, Give Food's page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// When the source last changed the entry (RFC 3339 or YYYY-MM-DD, as published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_modified_at: Option<String>,
    /// A food bank's current needs list, exactly as Give Food publishes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<String>,
}

impl Details {
    /// Whether nothing is known beyond the core fields.
    pub fn is_empty(&self) -> bool {
        *self == Details::default()
    }
}

/// A community asset (GP practice, pharmacy, library, food bank, ...).
#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    /// Unique, stable id within the dataset, e.g. `gp:A81001`.
    pub id: String,
    /// Category id, e.g. `gp`, `food_bank`.
    pub category: String,
    /// Name as published.
    pub name: String,
    /// Address as one line, when the source has one.
    pub address: Option<String>,
    /// Postcode as published.
    pub postcode: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Opening hours as text, as published.
    pub opening_hours: Option<String>,
    /// Opening hours as the model reads them (`None`: not known).
    #[serde(skip)]
    pub hours: Option<crate::hours::Hours>,
    /// Supply for access measures (S_j); `None` counts as 1.
    pub capacity: Option<f64>,
    /// Name of the manifest source the asset came from (`local` for assets
    /// created through the API).
    pub source: String,
    /// Active, temporarily closed or retired.
    pub status: AssetStatus,
    /// Revision number: 1 when created, one more at each change.
    pub revision: u64,
    /// When the asset last changed (RFC 3339, UTC), once it is in a store.
    pub updated_at: Option<String>,
    /// The date (YYYY-MM-DD) the information was last checked, which is not
    /// the date it last changed.
    pub verified_at: Option<String>,
    /// Directory details (organisation, description, access notes, needs).
    #[serde(skip)]
    pub details: Details,
    /// A service with no place (by phone or online only): listed and
    /// searchable, never on the map, in tiles or in the gap analysis.
    #[serde(skip)]
    pub unplaced: bool,
    /// A sensitive place (a refuge, a safe house): `bng` and `lonlat` are
    /// where it is shown, not where it is, and it has no address.
    #[serde(skip)]
    pub sensitive: Option<crate::model::SensitivePlace>,
    /// Position in British National Grid metres.
    #[serde(skip)]
    pub bng: Coord,
    /// Position in longitude/latitude degrees.
    #[serde(skip)]
    pub lonlat: Coord,
    /// Index of the ward whose polygon contains the asset.
    #[serde(skip)]
    pub ward: Option<usize>,
    /// Index of the small area whose polygon contains the asset.
    #[serde(skip)]
    pub small_area: Option<usize>,
    /// The asset's permanent slot in the catalog (vector tiles number their
    /// features by it); never reused.
    #[serde(skip)]
    pub slot: u32,
}

/// Whether an asset is open at a moment, with the sentence residents read.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// What the hours say (a temporarily closed asset is closed, with no
    /// known reopening).
    pub state: crate::hours::OpenState,
    /// "Open now, closes 17:30", "Temporarily closed", "Hours not known: call first".
    pub text: String,
}

impl Asset {
    /// Whether the asset is open at a London wall time.
    pub fn opening(&self, now: chrono::NaiveDateTime) -> Opening {
        use crate::hours::OpenState;
        if self.status != AssetStatus::Active {
            return Opening {
                state: OpenState::Closed {
                    opens_at: None,
                    approximate: None,
                    opens_approximately: false,
                },
                text: "Temporarily closed".into(),
            };
        }
        let state = self
            .hours
            .as_ref()
            .map_or(OpenState::Unknown, |h| h.state_at(now));
        let text = state.sentence(now);
        Opening { state, text }
    }

    /// A quick look at whether the asset is open at a London wall time
    /// (agrees with [`Asset::opening`], without finding the next change).
    pub fn glance(&self, now: chrono::NaiveDateTime) -> crate::hours::Glance {
        use crate::hours::Glance;
        if self.status != AssetStatus::Active {
            return Glance::Closed;
        }
        self.hours
            .as_ref()
            .map_or(Glance::Unknown, |h| h.glance(now))
    }

    /// The date (YYYY-MM-DD) someone last confirmed the entry: its
    /// `verified_at`, or for entries made here (contributed or created by an
    /// officer) the date they last changed. Official sources' entries with
    /// no date are confirmed by every sync, so they have none.
    pub fn last_checked(&self) -> Option<&str> {
        self.verified_at.as_deref().or_else(|| {
            (self.source == "local")
                .then(|| self.updated_at.as_deref().and_then(|u| u.get(..10)))
                .flatten()
        })
    }

    /// Whether the entry was last checked before `threshold` (YYYY-MM-DD):
    /// stale, to be checked again.
    pub fn is_stale(&self, threshold: &str) -> bool {
        self.last_checked().is_some_and(|d| d < threshold)
    }

    /// The name in readable case (see [`crate::model::readable`]).
    pub fn display_name(&self) -> std::borrow::Cow<'_, str> {
        super::readable(&self.name, false)
    }

    /// The address in readable case.
    pub fn display_address(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.address.as_deref().map(|a| super::readable(a, true))
    }

    /// A new active asset at revision 0 (not yet stored), unplaced.
    pub fn new(
        id: String,
        category: String,
        name: String,
        source: String,
        bng: Coord,
        lonlat: Coord,
    ) -> Asset {
        Asset {
            id,
            category,
            name,
            address: None,
            postcode: None,
            phone: None,
            email: None,
            website: None,
            opening_hours: None,
            hours: None,
            capacity: None,
            source,
            status: AssetStatus::Active,
            revision: 0,
            updated_at: None,
            verified_at: None,
            details: Details::default(),
            unplaced: false,
            sensitive: None,
            bng,
            lonlat,
            ward: None,
            small_area: None,
            slot: 0,
        }
    }
}
