//! Recall per edit and false matches of plain, dihedral and robust (view)
//! PDQ matching, on the same pictures in the same run.
//!
//! `scripts/robust-bench.sh` installs the data (Debian's `openclipart-png`,
//! `lomiri-wallpapers-20.04`, `plasma-workspace-wallpapers`, scikit-image's
//! samples), writes the lists and runs this:
//!
//! ```text
//! cargo bench -p hashwatch-robust --bench robust -- --lists DIR [--json] [--others N] [--pairs FILE]
//! ```
//!
//! `DIR/originals.tsv` and `DIR/others.tsv` hold `group<TAB>path` lines.
//! Originals (and generated pictures) are the known pictures whose edited
//! copies are looked for; others are split in two: half joins the bank,
//! half are the negative queries. Two pictures of one group (the sizes or
//! light and dark versions of one wallpaper, numbered variants of one
//! drawing) are the same content: their matches are not false.

mod edits;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use hashwatch_index::PdqIndex;
use hashwatch_media::{DecoderBuilder, Pixels};
use hashwatch_pdq::{Hash256, Hasher, Image};
use hashwatch_robust::{Picture, View, ViewHash, ViewHasher, DEFAULT_VIEW_THRESHOLD};
use rayon::prelude::*;
use serde_json::json;

use crate::edits::{Rng, EDITS};

/// Plain PDQ's threshold, the same for every mode.
const THRESHOLD: u32 = 31;
/// The matcher's query quality floor.
const QUALITY_FLOOR: u8 = 50;
/// Known pictures are worked on at this size at most (wallpapers are 4K).
const ORIGINAL_SIDE: usize = 1600;
/// View thresholds tried, to show the trade.
const SWEEP: [u32; 8] = [16, 18, 20, 22, 24, 26, 28, 31];

/// The kinds of robust pair: a query's view against an item's own hash,
/// the query's own hash against a derived one, a view against a derived
/// hash.
const CLASSES: [&str; 3] = ["view-own", "own-derived", "view-derived"];

fn class(pair: (Option<View>, Option<View>)) -> usize {
    match pair {
        (Some(_), None) => 0,
        (None, _) => 1,
        (Some(_), Some(_)) => 2,
    }
}

/// The thresholds per class the crate's rule gives at view threshold `t`.
fn rule(t: u32) -> [u32; 3] {
    let radius = |q, b| hashwatch_robust::pair_radius(q, b, t).expect("pairs");
    [
        radius(Some(View::Trim), None),
        radius(None, Some(View::Crop(90))),
        radius(Some(View::Trim), Some(View::Crop(90))),
    ]
}

/// Thresholds per class tried: the crate's rule at each view threshold,
/// then one class's varied with the others at the default.
fn settings() -> Vec<[u32; 3]> {
    let mut out: Vec<[u32; 3]> = SWEEP.iter().map(|&t| rule(t)).collect();
    for c in 0..CLASSES.len() {
        out.extend(SWEEP.iter().map(|&t| {
            let mut s = rule(DEFAULT_VIEW_THRESHOLD);
            s[c] = t;
            s
        }));
    }
    out
}

struct Args {
    lists: PathBuf,
    json: bool,
    others: usize,
    generated_originals: usize,
    pairs: Option<PathBuf>,
    dump: Option<(PathBuf, String)>,
}

fn args() -> Args {
    let mut args = Args {
        lists: PathBuf::from("target/robust-data"),
        json: false,
        others: 20_500,
        generated_originals: 40,
        pairs: None,
        dump: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match a.as_str() {
            "--lists" => args.lists = PathBuf::from(value("--lists")),
            "--json" => args.json = true,
            "--others" => args.others = value("--others").parse().expect("--others N"),
            "--generated" => {
                args.generated_originals = value("--generated").parse().expect("--generated N")
            }
            "--pairs" => args.pairs = Some(PathBuf::from(value("--pairs"))),
            "--dump" => {
                let dir = PathBuf::from(value("--dump"));
                args.dump = Some((dir, value("--dump GROUP_PART")));
            }
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// Where a picture comes from.
#[derive(Clone)]
enum Source {
    File(PathBuf),
    Generated(u64),
}

#[derive(Clone)]
struct Named {
    group: String,
    source: Source,
}

fn read_list(path: &std::path::Path) -> Vec<Named> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/robust-bench.sh)", path.display()));
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(g, p)| Named {
            group: g.to_string(),
            source: Source::File(PathBuf::from(p)),
        })
        .collect()
}

fn load(source: &Source) -> Option<Picture> {
    match source {
        Source::Generated(seed) => Some(edits::generate(*seed)),
        Source::File(path) => {
            let bytes = std::fs::read(path).ok()?;
            let decoded = DecoderBuilder::new().build().decode(&bytes).ok()?;
            let (w, h) = (decoded.width as usize, decoded.height as usize);
            match decoded.pixels {
                Pixels::Rgb(p) => Picture::from_rgb(w, h, p),
                Pixels::Grey(p) => Picture::from_grey(w, h, &p),
            }
        }
    }
}

/// A picture as a re-post would carry it: JPEG at quality 85, decoded.
fn recompress(picture: &Picture) -> Picture {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
        .encode(
            picture.rgb(),
            picture.width() as u32,
            picture.height() as u32,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode JPEG");
    let decoded = DecoderBuilder::new()
        .build()
        .decode(&bytes)
        .expect("decode our JPEG");
    match decoded.pixels {
        Pixels::Rgb(p) => Picture::from_rgb(decoded.width as usize, decoded.height as usize, p),
        Pixels::Grey(p) => Picture::from_grey(decoded.width as usize, decoded.height as usize, &p),
    }
    .expect("sizes agree")
}

/// What a query carries.
struct QueryHashes {
    plain: Hash256,
    quality: u8,
    dihedral: [Hash256; 8],
    views: Vec<ViewHash>,
}

/// What a bank item carries, with the thumbnail that decides whether two
/// pictures are the same content.
struct BankHashes {
    plain: Hash256,
    quality: u8,
    derived: Vec<ViewHash>,
    looks: Looks,
}

/// A picture's 32×32 grey thumbnails, whole and with its uniform margins
/// cut, to tell look-alikes from false matches.
#[derive(Clone)]
struct Looks {
    whole: Thumbnail,
    cut: Thumbnail,
}

impl Looks {
    fn of(picture: &Picture) -> Looks {
        Looks {
            whole: Thumbnail::of(picture),
            cut: Thumbnail::of(&picture.crop(uniform_margins_cut(picture))),
        }
    }

    /// The largest correlation (either sign) of the two pictures, whole or
    /// with their margins cut: a picture and its bordered copy are one
    /// content, as a photo and its cropped thumbnail are.
    fn likeness(&self, other: &Looks) -> f64 {
        [&self.whole, &self.cut]
            .iter()
            .flat_map(|a| [&other.whole, &other.cut].map(|b| a.correlation(b)))
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(0.0)
    }
}

/// The picture without the rows and columns at its edges whose pixels are
/// all within 16 of each other: the ground truth's own rule, kept apart
/// from the crate's trimming on purpose.
fn uniform_margins_cut(picture: &Picture) -> hashwatch_robust::Rect {
    fn uniform(mut pixels: impl Iterator<Item = [u8; 3]>) -> bool {
        let first = pixels.next();
        pixels.all(|p| first.is_some_and(|f| (0..3).all(|c| p[c].abs_diff(f[c]) <= 16)))
    }
    let (mut x0, mut y0, mut x1, mut y1) = (0, 0, picture.width(), picture.height());
    while y1 - y0 > picture.height() / 10 + 1 && uniform((x0..x1).map(|x| picture.pixel(x, y0))) {
        y0 += 1;
    }
    while y1 - y0 > picture.height() / 10 + 1 && uniform((x0..x1).map(|x| picture.pixel(x, y1 - 1)))
    {
        y1 -= 1;
    }
    while x1 - x0 > picture.width() / 10 + 1 && uniform((y0..y1).map(|y| picture.pixel(x0, y))) {
        x0 += 1;
    }
    while x1 - x0 > picture.width() / 10 + 1 && uniform((y0..y1).map(|y| picture.pixel(x1 - 1, y)))
    {
        x1 -= 1;
    }
    hashwatch_robust::Rect {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// A 32×32 grey thumbnail, zero mean and unit norm.
#[derive(Clone)]
struct Thumbnail(Vec<f64>);

impl Thumbnail {
    fn of(picture: &Picture) -> Thumbnail {
        let small = picture.resize(32, 32);
        let grey: Vec<f64> = small
            .rgb()
            .chunks_exact(3)
            .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
            .collect();
        let mean = grey.iter().sum::<f64>() / grey.len() as f64;
        let centred: Vec<f64> = grey.iter().map(|v| v - mean).collect();
        let norm = centred.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-9);
        Thumbnail(centred.iter().map(|v| v / norm).collect())
    }

    /// Normalised correlation: 1 for the same picture in any brightness,
    /// contrast or colour, -1 for its light/dark inversion.
    fn correlation(&self, other: &Thumbnail) -> f64 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// Two pictures whose thumbnails correlate this much (either sign) are one
/// design in other colours, sizes or brightness: look-alikes, not false
/// matches.
const SAME_CONTENT_CORRELATION: f64 = 0.9;

fn query_hashes(pdq: &mut Hasher, views: &ViewHasher, picture: &Picture) -> QueryHashes {
    let image = Image::rgb(picture.rgb(), picture.width(), picture.height()).expect("sizes agree");
    let (plain, dihedral) = pdq.hash_with_dihedral(&image);
    QueryHashes {
        plain: plain.hash,
        quality: plain.quality,
        dihedral: dihedral.hashes,
        views: views.query_views(pdq, picture),
    }
}

fn bank_hashes(pdq: &mut Hasher, views: &ViewHasher, picture: &Picture) -> BankHashes {
    let image = Image::rgb(picture.rgb(), picture.width(), picture.height()).expect("sizes agree");
    let plain = pdq.hash(&image);
    BankHashes {
        plain: plain.hash,
        quality: plain.quality,
        derived: views.derived(pdq, picture),
        looks: Looks::of(picture),
    }
}

/// One matched (query, bank item), by the nearest distance of each kind.
#[derive(Default, Clone, Copy)]
struct Found {
    plain: Option<u32>,
    dihedral: Option<u32>,
    /// Nearest distance over view and derived pairs, per class.
    view: [Option<u32>; 3],
    /// The pair that gave each: the query's view and the bank's derived
    /// hash (`None`: the plain hash).
    pair: [(Option<View>, Option<View>); 3],
}

fn nearer(slot: &mut Option<u32>, d: u32) {
    *slot = Some(slot.map_or(d, |s| s.min(d)));
}

fn nearer_view(f: &mut Found, d: u32, pair: (Option<View>, Option<View>)) {
    let c = class(pair);
    if f.view[c].is_none_or(|v| d < v) {
        f.view[c] = Some(d);
        f.pair[c] = pair;
    }
}

struct Bank {
    plain: PdqIndex,
    derived: PdqIndex,
    /// Item of each derived hash.
    derived_item: Vec<usize>,
    derived_view: Vec<View>,
    groups: Vec<String>,
    looks: Vec<Looks>,
}

impl Bank {
    fn new(items: &[(String, BankHashes)]) -> Bank {
        let mut plain = PdqIndex::new();
        let mut derived = PdqIndex::new();
        let mut derived_item = Vec::new();
        let mut derived_view = Vec::new();
        for (i, (_, h)) in items.iter().enumerate() {
            plain.insert(i as u64, h.plain);
            for v in h.derived.iter().filter(|v| v.quality >= QUALITY_FLOOR) {
                derived.insert(derived_item.len() as u64, v.hash);
                derived_item.push(i);
                derived_view.push(v.view);
            }
        }
        plain.merge();
        derived.merge();
        Bank {
            plain,
            derived,
            derived_item,
            derived_view,
            groups: items.iter().map(|(g, _)| g.clone()).collect(),
            looks: items.iter().map(|(_, h)| h.looks.clone()).collect(),
        }
    }

    /// Every bank item within `THRESHOLD` of the query by any mode.
    fn look_up(&self, q: &QueryHashes) -> BTreeMap<usize, Found> {
        let mut found: BTreeMap<usize, Found> = BTreeMap::new();
        if q.quality < QUALITY_FLOOR {
            return found;
        }
        for m in self.plain.search(&q.plain, THRESHOLD) {
            let f = found.entry(m.id as usize).or_default();
            nearer(&mut f.plain, m.distance);
            nearer(&mut f.dihedral, m.distance);
        }
        for variant in &q.dihedral[1..] {
            for m in self.plain.search(variant, THRESHOLD) {
                nearer(
                    &mut found.entry(m.id as usize).or_default().dihedral,
                    m.distance,
                );
            }
        }
        let views = q
            .views
            .iter()
            .filter(|v| v.quality >= QUALITY_FLOOR)
            .map(|v| (Some(v.view), v.hash));
        for (view, hash) in std::iter::once((None, q.plain)).chain(views) {
            if view.is_some() {
                for m in self.plain.search(&hash, THRESHOLD) {
                    nearer_view(
                        found.entry(m.id as usize).or_default(),
                        m.distance,
                        (view, None),
                    );
                }
            }
            for m in self.derived.search(&hash, THRESHOLD) {
                let item = self.derived_item[m.id as usize];
                let pair = (view, Some(self.derived_view[m.id as usize]));
                if hashwatch_robust::pairs(pair.0, pair.1) {
                    nearer_view(found.entry(item).or_default(), m.distance, pair);
                }
            }
        }
        found
    }
}

/// Which modes matched, at a view threshold.
fn modes(f: &Found, view_threshold: [u32; 3]) -> [bool; 3] {
    let plain = f.plain.is_some();
    let dihedral = f.dihedral.is_some();
    let robust =
        plain || (0..CLASSES.len()).any(|c| f.view[c].is_some_and(|d| d <= view_threshold[c]));
    [plain, dihedral, robust]
}

fn main() {
    let args = args();
    let views = ViewHasher::default();
    let started = std::time::Instant::now();

    let mut originals = read_list(&args.lists.join("originals.tsv"));
    originals.extend((0..args.generated_originals as u64).map(|s| Named {
        group: format!("generated-original-{s}"),
        source: Source::Generated(1_000_000 + s),
    }));
    let mut others = read_list(&args.lists.join("others.tsv"));
    others.truncate(args.others);
    let mut seed = 0;
    while others.len() < args.others {
        others.push(Named {
            group: format!("generated-{seed}"),
            source: Source::Generated(seed),
        });
        seed += 1;
    }
    eprintln!(
        "{} originals × {} edits; {} others",
        originals.len(),
        EDITS.len(),
        others.len()
    );

    // Originals: bank hashes, and the query hashes of every edited copy.
    type Edited = Vec<(usize, &'static str, QueryHashes)>;
    let hashed: Vec<Option<(BankHashes, Edited)>> = originals
        .par_iter()
        .enumerate()
        .map_init(Hasher::new, |pdq, (i, named)| {
            let picture = load(&named.source)?.shrink_to(ORIGINAL_SIDE);
            let bank = bank_hashes(pdq, &views, &picture);
            if bank.quality < QUALITY_FLOOR {
                // Not even an exact copy would match: nothing to measure.
                return None;
            }
            let mut rng = Rng::new(i as u64);
            let edited = EDITS
                .iter()
                .map(|&edit| {
                    let copy = recompress(&edits::apply(edit, &picture, &mut rng));
                    if let Some((dir, part)) = &args.dump {
                        if named.group.contains(part.as_str()) {
                            dump(dir, &named.group, edit, &copy, &views);
                        }
                    }
                    (i, edit, query_hashes(pdq, &views, &copy))
                })
                .collect();
            Some((bank, edited))
        })
        .collect();
    eprintln!("originals hashed in {:.0?}", started.elapsed());
    let done = std::sync::atomic::AtomicUsize::new(0);
    let other_hashes: Vec<Option<(BankHashes, QueryHashes)>> = others
        .par_iter()
        .map_init(Hasher::new, |pdq, named| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n % 2000 == 0 {
                eprintln!("others: {n}/{} ({:.0?})", others.len(), started.elapsed());
            }
            let picture = load(&named.source)?;
            Some((
                bank_hashes(pdq, &views, &picture),
                query_hashes(pdq, &views, &picture),
            ))
        })
        .collect();
    eprintln!("others hashed in {:.0?}", started.elapsed());

    // The bank: the originals, then every other `others` picture; the
    // rest are the negative queries.
    let mut bank_items = Vec::new();
    let mut edited_queries = Vec::new();
    let mut original_item = vec![usize::MAX; originals.len()];
    for (i, h) in hashed.into_iter().enumerate() {
        let Some((bank, edited)) = h else {
            eprintln!(
                "left out {}: it did not decode, or its PDQ quality is below {QUALITY_FLOOR}",
                originals[i].group
            );
            continue;
        };
        original_item[i] = bank_items.len();
        bank_items.push((originals[i].group.clone(), bank));
        edited_queries.extend(edited);
    }
    let mut negatives = Vec::new();
    let mut undecodable = 0;
    for (k, h) in other_hashes.into_iter().enumerate() {
        let Some((bank, query)) = h else {
            undecodable += 1;
            continue;
        };
        if k % 2 == 0 {
            bank_items.push((others[k].group.clone(), bank));
        } else {
            negatives.push((others[k].group.clone(), query, bank.looks));
        }
    }
    let bank = Bank::new(&bank_items);
    eprintln!(
        "bank: {} items, {} derived hashes; {} negative queries; {} edited queries; {undecodable} others did not decode",
        bank_items.len(),
        bank.derived_item.len(),
        negatives.len(),
        edited_queries.len()
    );

    let settings = settings();
    let mut tally = Tally::new(&settings);
    let mut per_edit: BTreeMap<&str, Vec<[bool; 3]>> = BTreeMap::new();
    let mut sweep_recall = vec![0usize; settings.len()];
    let mut lines = Vec::new();
    let looked: Vec<_> = edited_queries
        .par_iter()
        .map(|(_, _, q)| bank.look_up(q))
        .collect();
    for ((i, edit, q), found) in edited_queries.iter().zip(&looked) {
        let source = original_item[*i];
        let (group, source_hashes) = &bank_items[source];
        let hit = found.get(&source).copied().unwrap_or_default();
        let matched = modes(&hit, rule(DEFAULT_VIEW_THRESHOLD));
        per_edit.entry(edit).or_default().push(matched);
        for (s, &t) in settings.iter().enumerate() {
            sweep_recall[s] += usize::from(modes(&hit, t)[2]);
        }
        if !matched[2] {
            lines.push(format!(
                "miss\t{group}\t{edit}\t{}",
                nearest(q, source_hashes)
            ));
        }
        let others = found.iter().filter(|(item, _)| **item != source);
        tally.add(
            &bank,
            group,
            &source_hashes.looks,
            others,
            Kind::Edited,
            edit,
            &mut lines,
        );
    }
    let looked: Vec<_> = negatives
        .par_iter()
        .map(|(_, q, _)| bank.look_up(q))
        .collect();
    for ((group, _, looks), found) in negatives.iter().zip(&looked) {
        tally.add(
            &bank,
            group,
            looks,
            found.iter(),
            Kind::Negative,
            "-",
            &mut lines,
        );
    }
    if let Some(path) = &args.pairs {
        std::fs::write(path, lines.join("\n") + "\n").expect("write --pairs");
    }

    let total = edited_queries.len();
    let recall = |m: usize| -> usize { per_edit.values().flatten().filter(|r| r[m]).count() };
    let percent = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    if args.json {
        let edits: Vec<_> = per_edit
            .iter()
            .map(|(edit, rows)| {
                let n = rows.len();
                let count = |m: usize| rows.iter().filter(|r| r[m]).count();
                json!({"edit": edit, "copies": n, "plain": count(0), "dihedral": count(1), "robust": count(2)})
            })
            .collect();
        let sweep: Vec<_> = settings
            .iter()
            .enumerate()
            .map(|(s, t)| {
                json!({
                    "view_threshold": {"view-own": t[0], "own-derived": t[1], "view-derived": t[2]},
                    "recall": sweep_recall[s],
                    "false_matches_negative": tally.sweep[Kind::Negative as usize][s],
                    "false_matches_edited": tally.sweep[Kind::Edited as usize][s],
                })
            })
            .collect();
        let counts = |c: &[[usize; 3]; 2]| {
            json!({
                "negative": {"plain": c[0][0], "dihedral": c[0][1], "robust": c[0][2]},
                "edited": {"plain": c[1][0], "dihedral": c[1][1], "robust": c[1][2]},
            })
        };
        let report = json!({
            "threshold": THRESHOLD,
            "view_threshold": DEFAULT_VIEW_THRESHOLD,
            "bank_items": bank_items.len(),
            "derived_hashes": bank.derived_item.len(),
            "negative_queries": negatives.len(),
            "edited_queries": total,
            "edits": edits,
            "recall": {"plain": recall(0), "dihedral": recall(1), "robust": recall(2)},
            "false_matches": counts(&tally.false_matches),
            "look_alikes": counts(&tally.look_alikes),
            "sweep": sweep,
            "seconds": started.elapsed().as_secs_f64(),
        });
        println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "recall at distance ≤ {THRESHOLD} (views ≤ {DEFAULT_VIEW_THRESHOLD}), JPEG q85 after every edit");
    let _ = writeln!(
        out,
        "{:<26} {:>6} {:>8} {:>9} {:>8}",
        "edit", "copies", "plain", "dihedral", "robust"
    );
    for (edit, rows) in &per_edit {
        let n = rows.len();
        let p = |m: usize| percent(rows.iter().filter(|r| r[m]).count(), n);
        let _ = writeln!(
            out,
            "{edit:<26} {n:>6} {:>7.1}% {:>8.1}% {:>7.1}%",
            p(0),
            p(1),
            p(2)
        );
    }
    let _ = writeln!(
        out,
        "{:<26} {total:>6} {:>7.1}% {:>8.1}% {:>7.1}%",
        "all",
        percent(recall(0), total),
        percent(recall(1), total),
        percent(recall(2), total)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "pairs of different pictures matched: {} negatives × {} bank items, and edited copies × the other bank items",
        negatives.len(),
        bank_items.len()
    );
    let _ = writeln!(
        out,
        "{:<34} {:>8} {:>9} {:>8}",
        "", "plain", "dihedral", "robust"
    );
    for (label, c) in [
        ("false matches", &tally.false_matches),
        ("look-alikes (|r| ≥ 0.9)", &tally.look_alikes),
    ] {
        for (k, kind) in ["negative queries", "edited copies"].iter().enumerate() {
            let _ = writeln!(
                out,
                "{:<34} {:>8} {:>9} {:>8}",
                format!("{label}, {kind}"),
                c[k][0],
                c[k][1],
                c[k][2]
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "view threshold sweep: robust recall; false matches (negative, edited)"
    );
    for (s, t) in settings.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<12} {:>6.1}%  {:>5} {:>5}",
            format!("≤{}/{}/{}", t[0], t[1], t[2]),
            percent(sweep_recall[s], total),
            tally.sweep[0][s],
            tally.sweep[1][s]
        );
    }
    let _ = writeln!(out, "{:.0?} in all", started.elapsed());
}

#[derive(Clone, Copy)]
enum Kind {
    Negative = 0,
    Edited = 1,
}

/// Matched pairs of different pictures, by kind of query and mode.
struct Tally {
    false_matches: [[usize; 3]; 2],
    look_alikes: [[usize; 3]; 2],
    /// The thresholds per class swept.
    settings: Vec<[u32; 3]>,
    /// Robust false matches per setting.
    sweep: [Vec<usize>; 2],
}

impl Tally {
    fn new(settings: &[[u32; 3]]) -> Tally {
        Tally {
            false_matches: Default::default(),
            look_alikes: Default::default(),
            settings: settings.to_vec(),
            sweep: [vec![0; settings.len()], vec![0; settings.len()]],
        }
    }

    /// Counts the matches of a query (standing for the picture of `group`
    /// with `thumbnail`) other than its own picture. Pairs of one group are
    /// one picture; thumbnails that correlate are look-alikes.
    #[allow(clippy::too_many_arguments)]
    fn add<'a>(
        &mut self,
        bank: &Bank,
        group: &str,
        looks: &Looks,
        found: impl Iterator<Item = (&'a usize, &'a Found)>,
        kind: Kind,
        edit: &str,
        lines: &mut Vec<String>,
    ) {
        for (item, f) in found {
            if bank.groups[*item] == group {
                continue;
            }
            let r = looks.likeness(&bank.looks[*item]);
            let look_alike = r.abs() >= SAME_CONTENT_CORRELATION;
            let counts = if look_alike {
                &mut self.look_alikes
            } else {
                &mut self.false_matches
            };
            for (m, yes) in modes(f, rule(DEFAULT_VIEW_THRESHOLD))
                .into_iter()
                .enumerate()
            {
                counts[kind as usize][m] += usize::from(yes);
            }
            if !look_alike {
                for (s, &t) in self.settings.iter().enumerate() {
                    self.sweep[kind as usize][s] += usize::from(modes(f, t)[2]);
                }
            }
            let label = if look_alike { "look-alike" } else { "false" };
            let kind = match kind {
                Kind::Negative => "negative",
                Kind::Edited => "edited",
            };
            lines.push(format!(
                "{label}\t{kind}\t{group}\t{edit}\t{}\tr={r:.2}\tplain={:?} dihedral={:?} view={:?} pair={:?}",
                bank.groups[*item], f.plain, f.dihedral, f.view, f.pair
            ));
        }
    }
}

/// The nearest distances from a query to a bank item, plain and by views.
fn nearest(q: &QueryHashes, b: &BankHashes) -> String {
    let plain = q.plain.distance(&b.plain);
    let dihedral = q
        .dihedral
        .iter()
        .map(|h| h.distance(&b.plain))
        .min()
        .unwrap_or(256);
    let queries =
        std::iter::once((None, q.plain)).chain(q.views.iter().map(|v| (Some(v.view), v.hash)));
    let banked: Vec<_> = std::iter::once((None, b.plain))
        .chain(b.derived.iter().map(|v| (Some(v.view), v.hash)))
        .collect();
    let best = queries
        .flat_map(|(qv, qh)| {
            banked
                .iter()
                .map(move |(bv, bh)| (qh.distance(bh), qv, *bv))
        })
        .filter(|(_, qv, bv)| qv.is_some() || bv.is_some())
        .min_by_key(|(d, _, _)| *d);
    let views: Vec<String> = q
        .views
        .iter()
        .map(|v| format!("{}:q{}", v.view, v.quality))
        .collect();
    format!(
        "plain={plain} dihedral={dihedral} best_view={best:?} quality={} views=[{}]",
        q.quality,
        views.join(" ")
    )
}

/// Writes an edited copy and its query views as PNG files, to look at.
fn dump(dir: &std::path::Path, group: &str, edit: &str, copy: &Picture, views: &ViewHasher) {
    let name = group.replace('/', "_");
    std::fs::create_dir_all(dir).expect("create --dump folder");
    let save = |p: &Picture, suffix: &str| {
        image::save_buffer(
            dir.join(format!("{name}.{edit}.{suffix}.png")),
            p.rgb(),
            p.width() as u32,
            p.height() as u32,
            image::ExtendedColorType::Rgb8,
        )
        .expect("write PNG");
    };
    save(&copy.shrink_to(800), "query");
    for (view, p) in views.query_pictures(copy) {
        save(&p.shrink_to(400), &view.name());
    }
}
