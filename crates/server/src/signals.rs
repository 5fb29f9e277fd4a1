//! Signals from requests: HMA's type names, hashes given as text, and
//! uploads hashed on the server.

use axum::extract::Multipart;
use hashwatch_model::SignalType;
use hashwatch_pdq::Hash256;
use hashwatch_signals::Digests;

use crate::error::{ApiError, ApiResult};

/// One signal of a request.
#[derive(Debug, Clone)]
pub struct Signal {
    /// The type's name as the client spelt it (`video_md5` stays
    /// `video_md5` in answers).
    pub name: String,
    /// The stored type.
    pub signal_type: SignalType,
    /// The value's bytes.
    pub value: Vec<u8>,
    /// PDQ quality, for hashes made here from an image.
    pub quality: Option<u8>,
    /// Views of an uploaded image, for banks that match uploads robustly
    /// (`None` for a hash given as text, which is matched plainly).
    pub views: Option<Vec<hashwatch_matcher::ViewHash>>,
    /// Views of an uploaded video's hashed frames, when they were asked
    /// for (a lookup while some bank matches robustly).
    pub frame_views: Vec<hashwatch_matcher::FrameViews>,
}

impl Signal {
    /// The value as lower-case hex.
    pub fn hex(&self) -> String {
        self.signal_type.format_value(&self.value)
    }

    /// The PDQ hash, for PDQ signals.
    pub fn pdq(&self) -> Option<Hash256> {
        let bytes: [u8; 32] = self.value.as_slice().try_into().ok()?;
        (self.signal_type == SignalType::Pdq).then(|| Hash256::from_be_bytes(bytes))
    }

    /// The query the matcher takes.
    pub fn query(&self) -> hashwatch_matcher::Query {
        let mut query = hashwatch_matcher::Query::default();
        if let Some(hash) = self.pdq() {
            query.pdq = Some((hash, self.quality));
            query.views.clone_from(&self.views);
        } else if self.signal_type == SignalType::Vpdq {
            // Stored values are the canonical form, which reads back.
            let text = String::from_utf8_lossy(&self.value);
            query.vpdq = Some(hashwatch_pdq::vpdq::parse_pytx(&text).unwrap_or_default());
            query.frame_views.clone_from(&self.frame_views);
        } else {
            query.exact.push((self.signal_type, self.value.clone()));
        }
        query
    }
}

/// Signal type names: HMA's `pdq`, `video_md5` and `vpdq` (python-
/// threatexchange's extension), and hashwatch's `md5`, `sha1`, `sha256`.
pub const TYPE_NAMES: [&str; 7] = [
    "pdq",
    "video_md5",
    "vpdq",
    "md5",
    "sha1",
    "sha256",
    "photodna",
];

/// The stored type of a type name.
pub fn signal_type(name: &str) -> ApiResult<SignalType> {
    match name {
        "pdq" => Ok(SignalType::Pdq),
        "video_md5" | "md5" => Ok(SignalType::Md5),
        "sha1" => Ok(SignalType::Sha1),
        "sha256" => Ok(SignalType::Sha256),
        "photodna" => Ok(SignalType::PhotoDna),
        "vpdq" => Ok(SignalType::Vpdq),
        _ => Err(ApiError::bad_request(
            "unknown_signal_type",
            format!(
                "unknown signal type {name:?}; use one of {}",
                TYPE_NAMES.join(", ")
            ),
        )),
    }
}

/// Parses a hash given as text (either case; spaces around it ignored).
pub fn parse(name: &str, text: &str) -> ApiResult<Signal> {
    let signal_type = signal_type(name)?;
    let value = signal_type.parse_value(text).map_err(|e| {
        ApiError::bad_request(
            "invalid_signal",
            format!("invalid {name} signal {text:?}: {e}"),
        )
    })?;
    Ok(Signal {
        name: name.to_string(),
        signal_type,
        value,
        quality: None,
        views: None,
        frame_views: Vec::new(),
    })
}

/// An uploaded file: HMA's content type (its form field name) and bytes.
pub struct Upload {
    /// `photo` or `video`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Other form fields (`metadata`, `note`).
    pub fields: Vec<(String, String)>,
}

/// Reads a multipart body with exactly one file, in a field named `photo`
/// or `video`.
pub async fn read_upload(mut multipart: Multipart) -> ApiResult<Upload> {
    let mut upload: Option<(String, Vec<u8>)> = None;
    let mut fields = Vec::new();
    loop {
        let field = multipart.next_field().await.map_err(upload_error)?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.map_err(upload_error)?;
        if is_file || name == "photo" || name == "video" {
            if !matches!(name.as_str(), "photo" | "video") {
                return Err(ApiError::bad_request(
                    "bad_content_type",
                    format!("file field {name:?} is not a content type; send the file as 'photo' or 'video'"),
                ));
            }
            if upload.is_some() {
                return Err(ApiError::bad_request(
                    "two_files",
                    "send exactly one file per request",
                ));
            }
            upload = Some((name, bytes.to_vec()));
        } else {
            fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    let Some((content_type, bytes)) = upload else {
        return Err(ApiError::bad_request(
            "no_file",
            "no file: send one as multipart form field 'photo' or 'video'",
        ));
    };
    Ok(Upload {
        content_type,
        bytes,
        fields,
    })
}

fn upload_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            e.status(),
            "too_large",
            "the upload is larger than this service's limit (serve --max-upload-bytes)",
        )
    } else {
        ApiError::bad_request(
            "bad_upload",
            format!("cannot read the multipart upload: {}", e.body_text()),
        )
    }
}

/// Which signals to make from an upload: HMA's (PDQ for photos, MD5 and
/// vPDQ for videos) unless `types` names others.
pub fn wanted(content_type: &str, types: Option<&str>) -> ApiResult<Vec<String>> {
    match types.filter(|t| !t.is_empty()) {
        Some(list) => {
            // Each type once: `pdq,pdq,…` must not decode one image again
            // and again.
            let mut names: Vec<String> = Vec::new();
            for name in list.split(',').map(str::trim) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
            for name in &names {
                signal_type(name)?;
                if name == "pdq" && content_type != "photo" {
                    return Err(ApiError::bad_request(
                        "bad_signal_type",
                        "pdq is made from photos only",
                    ));
                }
                if name == "vpdq" && content_type != "video" {
                    return Err(ApiError::bad_request(
                        "bad_signal_type",
                        "vpdq is made from videos only",
                    ));
                }
            }
            Ok(names)
        }
        None if content_type == "photo" => Ok(vec!["pdq".into()]),
        None => Ok(vec!["video_md5".into(), "vpdq".into()]),
    }
}

/// What an upload may be before hashing it is refused.
#[derive(Debug, Clone, Copy)]
pub struct HashLimits {
    /// The most pixels an image's header may claim.
    pub max_pixels: u64,
    /// A video's duration, frames and frame size.
    pub video: hashwatch_video::Limits,
    /// The memory decodes may hold: all at once, one request's, and how
    /// long one waits for it.
    pub memory: hashwatch_media::BudgetLimits,
}

/// The decodes' memory by default: 2 GiB at once, all of which one
/// request may hold (a photo at the default pixel limit, 100 million,
/// takes 1.03 GiB; an 8-bit video at the default frame limit, 8K, 1.9
/// GiB), waiting up to 10 s.
pub const DEFAULT_DECODE_MEMORY: hashwatch_media::BudgetLimits = hashwatch_media::BudgetLimits {
    total: 2 << 30,
    per_request: 2 << 30,
    wait: std::time::Duration::from_secs(10),
};

/// Seconds a client turned away for memory is told to wait.
const BUSY_RETRY_AFTER: u64 = 5;

/// The answer to a decode whose memory was not to be had: 413 when one
/// request may never hold that much, 503 with Retry-After while other
/// decodes hold it.
fn over_budget(what: &str, why: hashwatch_media::OverBudget) -> ApiError {
    use axum::http::StatusCode;
    match why {
        hashwatch_media::OverBudget::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_costly",
            format!("cannot hash the {what}: {why}"),
        ),
        hashwatch_media::OverBudget::Busy { .. } => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!("cannot hash the {what} now: {why}"),
            );
            e.retry_after = Some(BUSY_RETRY_AFTER);
            e
        }
        hashwatch_media::OverBudget::Cancelled => cancelled(),
    }
}

/// Hashes an upload (blocking: decodes images). A video's frames' views
/// are taken when `frame_views` asks (they cost more than the frames'
/// hashes, and only robust banks use them).
pub fn hash_upload(
    bytes: &[u8],
    names: &[String],
    limits: &HashLimits,
    frame_views: bool,
    cancel: &hashwatch_media::Cancel,
    budget: &hashwatch_media::MemoryBudget,
) -> ApiResult<Vec<Signal>> {
    let mut out = Vec::new();
    let digests = Digests::of(bytes);
    for name in names {
        if cancel.is_cancelled() {
            return Err(cancelled());
        }
        let signal_type = signal_type(name)?;
        let mut views = None;
        let mut video_views = Vec::new();
        let (value, quality) = match signal_type {
            SignalType::Pdq => {
                let decoder = hashwatch_media::DecoderBuilder::new()
                    .max_pixels(limits.max_pixels)
                    .cancel(cancel.clone())
                    .build();
                let bad_image = |e: hashwatch_media::Error| {
                    let status = match e.code() {
                        "too_many_pixels" => axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        "cancelled" => return cancelled(),
                        _ => axum::http::StatusCode::BAD_REQUEST,
                    };
                    ApiError::new(status, "bad_image", format!("cannot hash the photo: {e}"))
                };
                // What the decode will hold is known from the header: it
                // is charged before any of it is spent, and held until
                // the photo's hashes are made.
                let probe = decoder.probe(bytes).map_err(bad_image)?;
                let _memory = budget
                    .charge(hashwatch_signals::photo_memory(&probe), cancel)
                    .map_err(|why| over_budget("photo", why))?;
                let decoded = decoder.decode(bytes).map_err(bad_image)?;
                let mut hasher = hashwatch_pdq::Hasher::new();
                let (pdq, _) = hashwatch_signals::hash_pixels(&mut hasher, &decoded, false);
                // Taken for every photo: which banks match robustly is
                // decided per bank at lookup, and hashes are all that is
                // kept of the upload.
                views = Some(
                    hashwatch_signals::picture(&decoded)
                        .map(|p| {
                            hashwatch_matcher::ViewHasher::default().query_views(&mut hasher, &p)
                        })
                        .unwrap_or_default(),
                );
                (pdq.hash.to_be_bytes().to_vec(), Some(pdq.quality))
            }
            SignalType::Vpdq => {
                let options = hashwatch_video::Options {
                    limits: limits.video,
                    cancel: Some(cancel.clone()),
                    views: frame_views.then(hashwatch_matcher::ViewHasher::default),
                    budget: Some(budget.clone()),
                    ..hashwatch_video::Options::default()
                };
                let video = hashwatch_video::hash_bytes(bytes, &options).map_err(|e| {
                    let status = match e {
                        hashwatch_video::Error::Cancelled => return cancelled(),
                        hashwatch_video::Error::OverBudget(why) => {
                            return over_budget("video", why)
                        }
                        hashwatch_video::Error::TooLong { .. }
                        | hashwatch_video::Error::TooManyFrames { .. }
                        | hashwatch_video::Error::FrameTooLarge { .. } => {
                            axum::http::StatusCode::PAYLOAD_TOO_LARGE
                        }
                        hashwatch_video::Error::Io(_) => {
                            return ApiError::internal(format!("cannot hash the video: {e}"))
                        }
                        _ => axum::http::StatusCode::BAD_REQUEST,
                    };
                    ApiError::new(status, "bad_video", format!("cannot hash the video: {e}"))
                })?;
                let text = hashwatch_video::to_pytx(&video.compact());
                video_views = video.views;
                (text.into_bytes(), None)
            }
            SignalType::Md5 => (digests.md5.to_vec(), None),
            SignalType::Sha1 => (digests.sha1.to_vec(), None),
            SignalType::Sha256 => (digests.sha256.to_vec(), None),
            SignalType::PhotoDna => {
                return Err(ApiError::bad_request(
                    "bad_signal_type",
                    "hashwatch does not compute PhotoDNA; give PhotoDNA hashes as signals",
                ))
            }
        };
        out.push(Signal {
            name: name.clone(),
            signal_type,
            value,
            quality,
            views,
            frame_views: video_views,
        });
    }
    Ok(out)
}

/// Nobody reads this answer: its request timed out or went away.
fn cancelled() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        "cancelled",
        "the request was cancelled",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_signal_type_is_asked_for_once() {
        let names = super::wanted("photo", Some("pdq,md5, pdq,pdq,md5")).expect("valid");
        assert_eq!(names, ["pdq", "md5"]);
        assert!(super::wanted("photo", Some("pdq,nonsense")).is_err());
    }
}
