//! A bank's series: its pictures grouped by near matches.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `GET /c/bank/<name>/series` parameters.
#[derive(Deserialize, IntoParams)]
pub struct SeriesParams {
    /// Largest PDQ distance that links two entries: 0-31, 31 when not
    /// given (larger radii cost the join far more: `hashwatch bank series`
    /// takes them).
    radius: Option<u32>,
}

/// One entry of a series.
#[derive(Serialize, ToSchema)]
pub struct SeriesEntry {
    entry_id: u64,
    /// The item (content id) it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<String>,
}

/// One series, named by its oldest entry.
#[derive(Serialize, ToSchema)]
pub struct OneSeries {
    id: u64,
    /// Items in it.
    size: usize,
    entries: Vec<SeriesEntry>,
}

/// An entry that linked series which were apart before it.
#[derive(Serialize, ToSchema)]
pub struct SeriesMerge {
    entry_id: u64,
    /// The series they became (the oldest).
    into: u64,
    /// The series merged into it.
    merged: Vec<u64>,
}

/// A bank's series.
#[derive(Serialize, ToSchema)]
pub struct SeriesView {
    bank: String,
    radius: u32,
    series: Vec<OneSeries>,
    merges: Vec<SeriesMerge>,
}

/// `GET /c/bank/<name>/series`: the bank's own PDQ hashes grouped into
/// series (derived data, recomputed on each call).
#[utoipa::path(
    get,
    path = "/c/bank/{name}/series",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name"), SeriesParams),
    responses((status = 200, description = "success", body = SeriesView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn get_series(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(params): Query<SeriesParams>,
) -> ApiResult<Json<SeriesView>> {
    let largest = hashwatch_matcher::DEFAULT_SERIES_RADIUS;
    let radius = params.radius.unwrap_or(largest);
    // Larger radii cost the join far more; `hashwatch bank series` takes
    // them, on its user's own machine.
    if radius > largest {
        return Err(ApiError::bad_request(
            "bad_radius",
            format!("radius must be 0-{largest}"),
        ));
    }
    let caller = caller.op();
    let answer = state
        .op(move |ops| {
            let grouping = ops.bank_series(&caller, &name, radius)?;
            let series = grouping
                .series()
                .into_iter()
                .map(|(id, entries)| OneSeries {
                    id,
                    size: grouping.series_of(id).map_or(entries.len(), |s| s.1),
                    entries: entries
                        .into_iter()
                        .map(|entry_id| SeriesEntry {
                            entry_id,
                            item: grouping.item_of(entry_id).map(str::to_string),
                        })
                        .collect(),
                })
                .collect();
            let merges = grouping
                .merges()
                .iter()
                .map(|m| SeriesMerge {
                    entry_id: m.entry,
                    into: m.into,
                    merged: m.merged.clone(),
                })
                .collect();
            Ok(SeriesView {
                bank: name,
                radius,
                series,
                merges,
            })
        })
        .await?;
    Ok(Json(answer))
}
