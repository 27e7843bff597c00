//! Reliability (Cronbach's α raw and standardised, Guttman's λ6, McDonald's ω total), item
//! analysis and driver analysis (Johnson's relative weights).
//!
//! Kernels read item columns through [`ItemValues`] for a list of row numbers (a group, or a
//! bootstrap resample), accumulate centred pairwise sums ([`PairSums`], mergeable and
//! computed on several threads for large inputs), and finish a covariance matrix exactly as
//! R `psych` does: each covariance from the respondents who answered both items
//! (`missing = Pairwise`), or from complete respondents only (`Listwise`). Everything after
//! the covariance matrix is k × k linear algebra ([`linalg`]). `frame` is the polars edge.

pub mod cfa;
pub mod fit;
pub mod frame;
pub mod invariance;
pub mod linalg;
pub mod omega;
pub mod optimise;
pub mod polychoric;
pub mod wls;

use crate::error::ReliabilityError;
use crate::score::ScoreTable;
use linalg::{mat_vec, symmetric_eigen};
use statrs::distribution::{ContinuousCDF, FisherSnedecor};

/// A column of item values (0–100 item scores, or any numbers) read by row number.
pub trait ItemValues: Sync {
    fn rows(&self) -> usize;
    /// Writes the value of each row in `rows` to `out[r * stride]` (NaN when missing).
    fn fill(&self, rows: &[u32], out: &mut [f64], stride: usize);
    /// The column as whole-number codes in even steps, when it is one.
    fn coded(&self) -> Option<Coded<'_>> {
        None
    }
}

impl ItemValues for [Option<f64>] {
    fn rows(&self) -> usize {
        self.len()
    }
    fn fill(&self, rows: &[u32], out: &mut [f64], stride: usize) {
        for (r, &row) in rows.iter().enumerate() {
            out[r * stride] = self[row as usize].unwrap_or(f64::NAN);
        }
    }
}

impl ItemValues for Vec<Option<f64>> {
    fn rows(&self) -> usize {
        self.len()
    }
    fn fill(&self, rows: &[u32], out: &mut [f64], stride: usize) {
        self.as_slice().fill(rows, out, stride)
    }
}

/// An item's oriented codes scored through its [`ScoreTable`] (reverse keying applied,
/// "don't know" / not applicable / missing read as missing, exactly as scoring does).
pub struct ScoredItem<'a> {
    pub codes: &'a [i16],
    pub table: &'a ScoreTable,
}

impl ItemValues for ScoredItem<'_> {
    fn rows(&self) -> usize {
        self.codes.len()
    }
    fn fill(&self, rows: &[u32], out: &mut [f64], stride: usize) {
        for (r, &row) in rows.iter().enumerate() {
            out[r * stride] = self
                .table
                .score(self.codes[row as usize])
                .unwrap_or(f64::NAN);
        }
    }
    fn coded(&self) -> Option<Coded<'_>> {
        let steps = self.table.even_steps()?;
        (steps.levels <= MAX_CODE).then_some(Coded {
            codes: self.codes,
            lowest: steps.lowest,
            levels: steps.levels as u16,
            offset: steps.first - steps.step,
            step: steps.step,
        })
    }
}

/// How missing answers enter the covariance matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Each covariance from the respondents answering both items (R `use = "pairwise"`).
    Pairwise,
    /// Only respondents answering every item of the scale.
    Listwise,
}

crate::choice!(Missing, "missing", {
    Pairwise => "pairwise",
    Listwise => "listwise",
});

/// Centred pairwise sums over a set of rows; `merge` adds two disjoint sets.
#[derive(Debug, Clone, PartialEq)]
pub struct PairSums {
    pub k: usize,
    centre: Vec<f64>,
    /// Respondents with at least one answer / with every answer.
    pub rows_any: u64,
    pub rows_complete: u64,
    /// `n[j*k+l]`: respondents answering both j and l (symmetric).
    pub n: Vec<u64>,
    /// `s[j*k+l]`: Σ (x_j − c_j) over respondents answering both j and l.
    s: Vec<f64>,
    /// `ss[j*k+l]`: Σ (x_j − c_j)(x_l − c_l), upper triangle (j ≤ l) filled.
    ss: Vec<f64>,
    /// `sq[j*k+l]`: Σ (x_j − c_j)² over respondents answering both j and l.
    sq: Vec<f64>,
}

const CHUNK: usize = 512;

/// A number in a chunk's buffer: `f64` for any values (centred), `f32` for whole-number
/// codes, whose products and chunk sums are whole numbers below 2^24 and so exact in `f32`
/// ([`MAX_CODE`]) — twice the lanes per instruction of `f64`.
trait Element:
    Copy
    + Default
    + PartialEq
    + Send
    + Sync
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::AddAssign
    + std::iter::Sum
    + Into<f64>
{
    fn column_sum(column: &[Self]) -> f64;
}
impl Element for f64 {
    /// In row order, as the sums were always taken.
    #[inline(always)]
    fn column_sum(column: &[f64]) -> f64 {
        column.iter().sum()
    }
}
impl Element for f32 {
    /// In eight lanes (vectorised): whole numbers below 2^24, so exact in any order.
    #[inline(always)]
    fn column_sum(column: &[f32]) -> f64 {
        let mut lanes = [0.0f32; 8];
        let mut whole = column.chunks_exact(8);
        for eight in &mut whole {
            lanes.iter_mut().zip(eight).for_each(|(s, &x)| *s += x);
        }
        let tail: f32 = whole.remainder().iter().sum();
        f64::from(lanes.iter().sum::<f32>() + tail)
    }
}

/// Largest whole-number code the `f32` path takes: a chunk's sum of products,
/// `CHUNK · MAX_CODE²`, stays below 2^24, where every whole number is exact in `f32`.
const MAX_CODE: usize = 180;

/// Where a chunk's values come from: writes item `j`'s values for `rows` into `col`, 0 where
/// missing, and pushes `(row in chunk, j)` for each missing one.
trait ChunkSource<T>: Sync {
    fn k(&self) -> usize;
    /// `first`: the first row when `rows` are consecutive (see [`consecutive`]).
    fn fill(
        &self,
        j: usize,
        rows: &[u32],
        first: Option<usize>,
        col: &mut [T],
        gaps: &mut Vec<(u32, u32)>,
    );
}

/// Any item values, centred.
struct Centred<'a> {
    items: &'a [&'a dyn ItemValues],
    centre: &'a [f64],
}

impl ChunkSource<f64> for Centred<'_> {
    fn k(&self) -> usize {
        self.items.len()
    }
    #[inline(always)]
    fn fill(
        &self,
        j: usize,
        rows: &[u32],
        _first: Option<usize>,
        col: &mut [f64],
        gaps: &mut Vec<(u32, u32)>,
    ) {
        self.items[j].fill(rows, col, 1);
        for (r, x) in col.iter_mut().enumerate() {
            if x.is_nan() {
                *x = 0.0;
                gaps.push((r as u32, j as u32));
            } else {
                *x -= self.centre[j];
            }
        }
    }
}

/// An item's answers as whole numbers `q` = 1, 2, … (0 where missing) whose values are
/// `offset + step · q`: the answer codes of a scale scored in even steps.
#[derive(Clone, Copy)]
pub struct Coded<'a> {
    pub codes: &'a [i16],
    /// The code read as `q` = 1; codes from `lowest` to `lowest + levels − 1` are answers.
    pub lowest: i16,
    pub levels: u16,
    pub offset: f64,
    pub step: f64,
}

impl Coded<'_> {
    #[inline(always)]
    fn q(&self, code: i16) -> u16 {
        // Wrapping: the missing sentinels lie far below any scale and land above `levels`.
        let d = code.wrapping_sub(self.lowest) as u16;
        if d < self.levels {
            d + 1
        } else {
            0
        }
    }
}

impl ChunkSource<f32> for [Coded<'_>] {
    fn k(&self) -> usize {
        self.len()
    }
    #[inline(always)]
    fn fill(
        &self,
        j: usize,
        rows: &[u32],
        first: Option<usize>,
        col: &mut [f32],
        gaps: &mut Vec<(u32, u32)>,
    ) {
        let item = &self[j];
        let q = |code: i16| f32::from(item.q(code));
        match first {
            // A stretch of the table (the whole sample, a group's run of rows): read as a
            // slice, without a branch, so the loop vectorises.
            Some(first) => {
                let codes = &item.codes[first..first + rows.len()];
                col.iter_mut().zip(codes).for_each(|(x, &c)| *x = q(c));
            }
            None => {
                let codes = rows.iter().map(|&row| item.codes[row as usize]);
                col.iter_mut().zip(codes).for_each(|(x, c)| *x = q(c));
            }
        }
        // Missing answers are few: found in a second pass, 16 values at a time.
        for (block, values) in col.chunks(16).enumerate() {
            if values.iter().fold(false, |any, &x| any | (x == 0.0)) {
                let zeros = values.iter().enumerate().filter(|(_, &x)| x == 0.0);
                zeros.for_each(|(r, _)| gaps.push(((block * 16 + r) as u32, j as u32)));
            }
        }
    }
}

/// The first row when `rows` are consecutive row numbers (checked without an early exit,
/// so the loop vectorises).
fn consecutive(rows: &[u32]) -> Option<usize> {
    let first = *rows.first()?;
    let steps = rows
        .iter()
        .zip(first..)
        .fold(true, |all, (&row, expected)| all & (row == expected));
    steps.then_some(first as usize)
}

/// Raw sums of one thread. Missing values are 0 (after centring, on the `f64` path), so the
/// dense cross-product triangle over every row is already the pairwise sum of products; the
/// other pairwise sums are whole-column sums minus small corrections for the (usually few)
/// missing entries of each row. Cost per row: k²/2 multiply-adds (vectorised) plus k per
/// missing answer.
struct Acc {
    k: usize,
    rows: u64,
    complete: u64,
    /// Rows in which item j is missing.
    miss: Vec<u64>,
    /// Rows in which both j and l are missing (upper triangle, j < l).
    both: Vec<u64>,
    sum: Vec<f64>,
    /// Σ x_j x_l over all counted rows (upper triangle incl. diagonal).
    tri: Vec<f64>,
    /// `corr_s[l*k+j]`: Σ x_j (and `corr_sq`: Σ x_j²) over rows where l is missing.
    corr_s: Vec<f64>,
    corr_sq: Vec<f64>,
}

impl Acc {
    fn new(k: usize) -> Self {
        Acc {
            k,
            rows: 0,
            complete: 0,
            miss: vec![0; k],
            both: vec![0; k * k],
            sum: vec![0.0; k],
            tri: vec![0.0; k * k],
            corr_s: vec![0.0; k * k],
            corr_sq: vec![0.0; k * k],
        }
    }

    /// Adds `rows` read from `source`, in chunks of `CHUNK` rows; `N` lanes per block sum.
    /// On x86-64 with AVX2 and FMA (checked at run time) compiled for them: filling,
    /// column sums and corrections then take 8 (`f32`) or 4 (`f64`) numbers a step.
    fn run<T: Element, const N: usize>(
        &mut self,
        source: &(impl ChunkSource<T> + ?Sized),
        rows: &[u32],
        listwise: bool,
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU supports the features the function is compiled for.
                return unsafe { self.run_avx2::<T, N>(source, rows, listwise) };
            }
        }
        self.run_portable::<T, N>(source, rows, listwise)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2<T: Element, const N: usize>(
        &mut self,
        source: &(impl ChunkSource<T> + ?Sized),
        rows: &[u32],
        listwise: bool,
    ) {
        self.run_portable::<T, N>(source, rows, listwise)
    }

    #[inline(always)]
    fn run_portable<T: Element, const N: usize>(
        &mut self,
        source: &(impl ChunkSource<T> + ?Sized),
        rows: &[u32],
        listwise: bool,
    ) {
        let k = self.k;
        // Column-major chunk: `buf[j * CHUNK + r]`, with zero columns up to a multiple of
        // the cross-product kernel's block (they add nothing).
        let mut buf = vec![T::default(); CHUNK * padded(k)];
        let mut gaps: Vec<(u32, u32)> = Vec::new();
        let mut skip = vec![false; CHUNK];
        let mut row = vec![0.0; k];
        for chunk in rows.chunks(CHUNK) {
            let m = chunk.len();
            gaps.clear();
            let first = consecutive(chunk);
            for j in 0..k {
                source.fill(
                    j,
                    chunk,
                    first,
                    &mut buf[j * CHUNK..j * CHUNK + m],
                    &mut gaps,
                );
            }
            gaps.sort_unstable();
            // Rows left out entirely: no answer at all, or (listwise) any gap.
            skip[..m].iter_mut().for_each(|s| *s = false);
            let mut any_skipped = false;
            for group in gaps.chunk_by(|a, b| a.0 == b.0) {
                if group.len() == k || listwise {
                    skip[group[0].0 as usize] = true;
                    any_skipped = true;
                }
            }
            if any_skipped {
                for j in 0..k {
                    for r in 0..m {
                        if skip[r] {
                            buf[j * CHUNK + r] = T::default();
                        }
                    }
                }
            }
            let skipped = skip[..m].iter().filter(|s| **s).count() as u64;
            self.rows += m as u64 - skipped;
            for j in 0..k {
                self.sum[j] += T::column_sum(&buf[j * CHUNK..j * CHUNK + m]);
            }
            cross_products::<T, N>(&buf, k, m, &mut self.tri);
            let mut with_gaps = 0u64;
            for group in gaps.chunk_by(|a, b| a.0 == b.0) {
                let r = group[0].0 as usize;
                if skip[r] {
                    continue;
                }
                with_gaps += 1;
                for (j, x) in row.iter_mut().enumerate() {
                    *x = buf[j * CHUNK + r].into();
                }
                for (idx, &(_, l)) in group.iter().enumerate() {
                    let l = l as usize;
                    self.miss[l] += 1;
                    for &(_, other) in &group[idx + 1..] {
                        self.both[l * k + other as usize] += 1;
                    }
                    let cs = &mut self.corr_s[l * k..(l + 1) * k];
                    let csq = &mut self.corr_sq[l * k..(l + 1) * k];
                    for ((s, q), &x) in cs.iter_mut().zip(csq.iter_mut()).zip(row.iter()) {
                        *s += x;
                        *q += x * x;
                    }
                }
            }
            self.complete += m as u64 - skipped - with_gaps;
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.rows += o.rows;
        self.complete += o.complete;
        self.miss.iter_mut().zip(&o.miss).for_each(|(a, b)| *a += b);
        self.both.iter_mut().zip(&o.both).for_each(|(a, b)| *a += b);
        self.sum.iter_mut().zip(&o.sum).for_each(|(a, b)| *a += b);
        self.tri.iter_mut().zip(&o.tri).for_each(|(a, b)| *a += b);
        self.corr_s
            .iter_mut()
            .zip(&o.corr_s)
            .for_each(|(a, b)| *a += b);
        self.corr_sq
            .iter_mut()
            .zip(&o.corr_sq)
            .for_each(|(a, b)| *a += b);
    }

    /// The sums of `rows` from `source`, on several threads when there are many rows.
    fn over<T: Element, const N: usize>(
        source: &(impl ChunkSource<T> + ?Sized),
        rows: &[u32],
        listwise: bool,
    ) -> Acc {
        let k = source.k();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(rows.len() / 50_000)
            .max(1);
        let parts: Vec<&[u32]> = rows.chunks(rows.len().div_ceil(threads).max(1)).collect();
        let mut sums = crate::parallel::map_owned(parts, |part| {
            let mut acc = Acc::new(k);
            acc.run::<T, N>(source, part, listwise);
            acc
        })
        .into_iter();
        let mut total = sums.next().unwrap_or_else(|| Acc::new(k));
        sums.for_each(|part| total.merge(&part));
        total
    }

    fn finish(self, centre: Vec<f64>) -> PairSums {
        let k = self.k;
        let mut p = PairSums {
            k,
            centre,
            rows_any: self.rows,
            rows_complete: self.complete,
            n: vec![0; k * k],
            s: vec![0.0; k * k],
            ss: vec![0.0; k * k],
            sq: vec![0.0; k * k],
        };
        for j in 0..k {
            for l in 0..k {
                let (a, b) = (j.min(l), j.max(l));
                let both = if j == l { 0 } else { self.both[a * k + b] };
                let n_jl = if j == l {
                    self.rows - self.miss[j]
                } else {
                    // Rows missing both are in both miss counts: add them back first, or
                    // a small group missing two items overflows.
                    self.rows + both - self.miss[j] - self.miss[l]
                };
                p.n[j * k + l] = n_jl;
                p.ss[j * k + l] = self.tri[a * k + b];
                let (cs, csq) = if j == l {
                    (0.0, 0.0)
                } else {
                    (self.corr_s[l * k + j], self.corr_sq[l * k + j])
                };
                p.s[j * k + l] = self.sum[j] - cs;
                p.sq[j * k + l] = self.tri[j * k + j] - csq;
            }
        }
        p
    }
}

/// Columns of the cross-product kernel's blocks: rows of two columns against four.
const BLOCK_J: usize = 2;
const BLOCK_L: usize = 4;

/// `k` rounded up to whole blocks.
fn padded(k: usize) -> usize {
    k.div_ceil(BLOCK_L) * BLOCK_L
}

/// Adds `Σ_r buf[j][r] buf[l][r]` over the chunk's `m` rows to `tri[j * k + l]` for every
/// `j ≤ l < k` (`buf` column-major with `CHUNK` rows per column, padded with zero columns
/// to whole blocks), summing `N` rows at a time in separate lanes. On x86-64 with AVX2 and
/// FMA (checked at run time) the same code compiled for them.
fn cross_products<T: Element, const N: usize>(buf: &[T], k: usize, m: usize, tri: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { cross_products_avx2::<T, N>(buf, k, m, tri) };
        }
    }
    cross_products_portable::<T, N>(buf, k, m, tri)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn cross_products_avx2<T: Element, const N: usize>(
    buf: &[T],
    k: usize,
    m: usize,
    tri: &mut [f64],
) {
    cross_products_portable::<T, N>(buf, k, m, tri)
}

/// Blocks of 2 × 4 columns: each step loads 6 values of a row and makes 8 products, where
/// one dot product per pair loads 2 for 1 (the loads, not the arithmetic, bounded it).
#[inline(always)]
fn cross_products_portable<T: Element, const N: usize>(
    buf: &[T],
    k: usize,
    m: usize,
    tri: &mut [f64],
) {
    let column = |j: usize| &buf[j * CHUNK..j * CHUNK + m];
    for j0 in (0..k).step_by(BLOCK_J) {
        // The first block of l that reaches the triangle's diagonal.
        for l0 in (j0 / BLOCK_L * BLOCK_L..k).step_by(BLOCK_L) {
            let a = [column(j0), column(j0 + 1)];
            let b = [column(l0), column(l0 + 1), column(l0 + 2), column(l0 + 3)];
            let block = block_products::<T, N>(a, b, m);
            for (dj, row) in block.iter().enumerate() {
                for (dl, &v) in row.iter().enumerate() {
                    let (j, l) = (j0 + dj, l0 + dl);
                    if j < k && l < k && l >= j {
                        tri[j * k + l] += v.into();
                    }
                }
            }
        }
    }
}

/// `Σ_r a[j][r] b[l][r]` for the 2 × 4 pairs, `N` rows at a time in separate lanes (so
/// the loop vectorises without fast-math).
#[inline(always)]
fn block_products<T: Element, const N: usize>(
    a: [&[T]; BLOCK_J],
    b: [&[T]; BLOCK_L],
    m: usize,
) -> [[T; BLOCK_L]; BLOCK_J] {
    let mut acc = [[[T::default(); N]; BLOCK_L]; BLOCK_J];
    let whole = m / N * N;
    for r in (0..whole).step_by(N) {
        let av: [[T; N]; BLOCK_J] = std::array::from_fn(|j| std::array::from_fn(|i| a[j][r + i]));
        let bv: [[T; N]; BLOCK_L] = std::array::from_fn(|l| std::array::from_fn(|i| b[l][r + i]));
        for j in 0..BLOCK_J {
            for l in 0..BLOCK_L {
                for lane in 0..N {
                    acc[j][l][lane] += av[j][lane] * bv[l][lane];
                }
            }
        }
    }
    std::array::from_fn(|j| {
        std::array::from_fn(|l| {
            let tail: T = (whole..m).map(|r| a[j][r] * b[l][r]).sum();
            acc[j][l].iter().copied().sum::<T>() + tail
        })
    })
}

impl PairSums {
    /// Sums over `rows` of `items`; several threads when there are many rows. Items that
    /// are all whole-number codes in even steps ([`ItemValues::coded`]) are summed as codes
    /// in `f32` (exact) and turned into values at the end.
    pub fn compute(items: &[&dyn ItemValues], rows: &[u32], missing: Missing) -> Self {
        let k = items.len();
        let listwise = missing == Missing::Listwise;
        if let Some(coded) = items.iter().map(|i| i.coded()).collect::<Option<Vec<_>>>() {
            return Acc::over::<f32, 8>(coded.as_slice(), rows, listwise)
                .finish(vec![0.0; k])
                .codes_to_values(&coded);
        }
        // Centring only guards against cancellation; the mean of the first rows is close
        // enough and saves a pass over the data.
        let centre = column_means(items, &rows[..rows.len().min(4 * CHUNK)], listwise);
        let source = Centred {
            items,
            centre: &centre,
        };
        Acc::over::<f64, 4>(&source, rows, listwise).finish(centre)
    }

    /// Sums of codes `q` as sums of the values `offset + step · q`: centred on `offset`
    /// (the value of `q` = 0), every sum of values is the sum of codes times the steps.
    fn codes_to_values(mut self, coded: &[Coded]) -> Self {
        let k = self.k;
        for (j, item) in coded.iter().enumerate() {
            self.centre[j] = item.offset;
            let sj = item.step;
            for (l, other) in coded.iter().enumerate() {
                self.s[j * k + l] *= sj;
                self.sq[j * k + l] *= sj * sj;
                self.ss[j * k + l] *= sj * other.step;
            }
        }
        self
    }

    /// Pairwise (or listwise) covariance matrix with n − 1 denominators.
    pub fn covariance(&self, scale: &str, names: &[&str]) -> Result<Cov, ReliabilityError> {
        let k = self.k;
        let mut c = vec![0.0; k * k];
        let mut n = vec![0u64; k * k];
        for j in 0..k {
            for l in j..k {
                let nj = self.n[j * k + l];
                if nj < 2 {
                    return Err(if j == l {
                        ReliabilityError::ZeroVariance {
                            scale: scale.into(),
                            item: names[j].into(),
                        }
                    } else {
                        ReliabilityError::TooFewPairs {
                            scale: scale.into(),
                            a: names[j].into(),
                            b: names[l].into(),
                            n: nj,
                        }
                    });
                }
                let m = nj as f64;
                let v =
                    (self.ss[j * k + l] - self.s[j * k + l] * self.s[l * k + j] / m) / (m - 1.0);
                c[j * k + l] = v;
                c[l * k + j] = v;
                n[j * k + l] = nj;
                n[l * k + j] = nj;
            }
        }
        for j in 0..k {
            let tol = 1e-12 * (1.0 + self.centre[j].abs()).powi(2);
            if c[j * k + j] <= tol {
                return Err(ReliabilityError::ZeroVariance {
                    scale: scale.into(),
                    item: names[j].into(),
                });
            }
        }
        Ok(Cov { k, c, n })
    }

    /// Pearson correlations, each from the respondents answering both variables with their
    /// own means and SDs (R `cor(use = "pairwise")`; equal to `cov2cor` when listwise).
    /// Call after [`PairSums::covariance`] succeeded (which checks n ≥ 2 and variances).
    pub fn pairwise_correlation(
        &self,
        scale: &str,
        names: &[&str],
    ) -> Result<Vec<f64>, ReliabilityError> {
        let k = self.k;
        let mut r = vec![0.0; k * k];
        for j in 0..k {
            r[j * k + j] = 1.0;
            for l in (j + 1)..k {
                let m = self.n[j * k + l] as f64;
                let (sj, sl) = (self.s[j * k + l], self.s[l * k + j]);
                let cross = self.ss[j * k + l] - sj * sl / m;
                let vj = self.sq[j * k + l] - sj * sj / m;
                let vl = self.sq[l * k + j] - sl * sl / m;
                if !(vj > 0.0 && vl > 0.0) {
                    return Err(ReliabilityError::Undefined {
                        scale: scale.into(),
                        message: format!(
                            "items `{}` and `{}`: one of them does not vary among the respondents answering both, so their correlation is undefined",
                            names[j], names[l]
                        ),
                    });
                }
                let v = cross / (vj * vl).sqrt();
                r[j * k + l] = v;
                r[l * k + j] = v;
            }
        }
        Ok(r)
    }

    /// Mean of item j over its answering respondents (in the accumulated rows).
    pub fn mean(&self, j: usize) -> Option<f64> {
        let n = self.n[j * self.k + j];
        (n > 0).then(|| self.centre[j] + self.s[j * self.k + j] / n as f64)
    }
}

fn column_means(items: &[&dyn ItemValues], rows: &[u32], listwise: bool) -> Vec<f64> {
    let k = items.len();
    let mut buf = vec![0.0; CHUNK * k];
    let mut sum = vec![0.0; k];
    let mut cnt = vec![0u64; k];
    for chunk in rows.chunks(CHUNK) {
        let m = chunk.len();
        for (j, item) in items.iter().enumerate() {
            item.fill(chunk, &mut buf[j * CHUNK..j * CHUNK + m], 1);
        }
        for r in 0..m {
            if listwise && (0..k).any(|j| buf[j * CHUNK + r].is_nan()) {
                continue;
            }
            for j in 0..k {
                let x = buf[j * CHUNK + r];
                if !x.is_nan() {
                    sum[j] += x;
                    cnt[j] += 1;
                }
            }
        }
    }
    sum.iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect()
}

/// A covariance matrix and the number of respondents behind each entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Cov {
    pub k: usize,
    pub c: Vec<f64>,
    pub n: Vec<u64>,
}

impl Cov {
    /// From a given matrix (e.g. a published one); `n` is set to 0.
    pub fn from_matrix(c: Vec<f64>, k: usize) -> Self {
        assert_eq!(c.len(), k * k);
        Cov {
            k,
            c,
            n: vec![0; k * k],
        }
    }

    /// `cov2cor`: r_jl = c_jl / √(c_jj c_ll).
    pub fn correlation(&self) -> Vec<f64> {
        let k = self.k;
        let mut r = vec![0.0; k * k];
        for j in 0..k {
            for l in 0..k {
                r[j * k + l] = self.c[j * k + l] / (self.c[j * k + j] * self.c[l * k + l]).sqrt();
            }
            r[j * k + j] = 1.0;
        }
        r
    }

    /// The matrix without variable `drop`.
    pub fn without(&self, drop: usize) -> Cov {
        let keep: Vec<usize> = (0..self.k).filter(|&j| j != drop).collect();
        let k = keep.len();
        let mut c = Vec::with_capacity(k * k);
        let mut n = Vec::with_capacity(k * k);
        for &j in &keep {
            for &l in &keep {
                c.push(self.c[j * self.k + l]);
                n.push(self.n[j * self.k + l]);
            }
        }
        Cov { k, c, n }
    }
}

/// Internal-consistency statistics of one scale (R `psych::alpha`'s `alpha.1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Alpha {
    /// Cronbach's α = k/(k−1) · (1 − tr C / ΣC).
    pub raw: f64,
    /// Standardised α = k/(k−1) · (1 − k / ΣR) = k·r̄ / (1 + (k−1)·r̄).
    pub std: f64,
    /// Mean off-diagonal correlation r̄.
    pub average_r: f64,
    /// Guttman's λ6 = 1 − Σ(1 − smc_j) / ΣR, smc_j = 1 − 1/(R⁻¹)_jj; `None` when R is singular.
    pub g6: Option<f64>,
}

/// α, standardised α, r̄ and λ6 from a covariance matrix.
pub fn alpha_from_cov(cov: &Cov, scale: &str, names: &[&str]) -> Result<Alpha, ReliabilityError> {
    let k = cov.k;
    if k < 2 {
        return Err(ReliabilityError::TooFewItems {
            scale: scale.into(),
            k,
            needed: 2,
            what: "Cronbach's alpha".into(),
        });
    }
    let kf = k as f64;
    let total: f64 = cov.c.iter().sum();
    let trace: f64 = (0..k).map(|j| cov.c[j * k + j]).sum();
    if total <= 0.0 {
        return Err(ReliabilityError::Undefined {
            scale: scale.into(),
            message: format!(
                "the variance of the sum score is not positive ({total:.4}); the items cancel out (check reverse keys)"
            ),
        });
    }
    let r = cov.correlation();
    let sum_r: f64 = r.iter().sum();
    let raw = kf / (kf - 1.0) * (1.0 - trace / total);
    let std = kf / (kf - 1.0) * (1.0 - kf / sum_r);
    let average_r = (sum_r - kf) / (kf * (kf - 1.0));
    let eig = symmetric_eigen(&r, k);
    let g6 = if eig.is_singular() {
        None
    } else {
        let inv = eig.apply(|l| 1.0 / l);
        let smc_sum: f64 = (0..k).map(|j| 1.0 - 1.0 / inv[j * k + j]).sum();
        Some(1.0 - (kf - smc_sum) / sum_r)
    };
    let _ = names;
    Ok(Alpha {
        raw,
        std,
        average_r,
        g6,
    })
}

/// Feldt (1965) confidence interval of α from n respondents and k items:
/// `[1 − (1 − α)·F(1 − a/2; n−1, (n−1)(k−1)), 1 − (1 − α)·F(a/2; …)]`, a = 1 − confidence
/// (as `pingouin.cronbach_alpha`).
pub fn feldt_ci(
    alpha: f64,
    n: u64,
    k: usize,
    confidence: f64,
) -> Result<(f64, f64), ReliabilityError> {
    check_confidence(confidence)?;
    let df1 = n as f64 - 1.0;
    let df2 = df1 * (k as f64 - 1.0);
    let f = FisherSnedecor::new(df1, df2).map_err(|e| ReliabilityError::Parameter {
        parameter: "n".into(),
        message: format!("F distribution with {df1} and {df2} degrees of freedom: {e}"),
    })?;
    let a = 1.0 - confidence;
    let upper_q = f.inverse_cdf(1.0 - a / 2.0);
    let lower_q = f.inverse_cdf(a / 2.0);
    Ok((1.0 - (1.0 - alpha) * upper_q, 1.0 - (1.0 - alpha) * lower_q))
}

pub fn check_confidence(confidence: f64) -> Result<(), ReliabilityError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(ReliabilityError::Parameter {
            parameter: "confidence".into(),
            message: format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
        })
    }
}

/// One-factor model fitted by minimum residuals (unweighted least squares, R
/// `psych::fa(fm = "minres")`), solved as iterated principal axes from squared multiple
/// correlations until the communalities change by less than 1e-10.
#[derive(Debug, Clone, PartialEq)]
pub struct OneFactor {
    pub loadings: Vec<f64>,
    /// ω total = 1 − Σ(1 − h²_j) / Σ s_i s_j R_ij, h²_j = λ_j², s_j the sign of λ_j: items
    /// loading negatively are reversed first, as psych::omega does (`flip = TRUE`; its
    /// `omega.tot`), so an unkeyed reverse item does not pull ω down.
    pub omega_total: f64,
    /// Items reversed for ω (negative loadings), by position.
    pub reversed: Vec<usize>,
    pub iterations: usize,
}

pub fn one_factor(
    r: &[f64],
    k: usize,
    scale: &str,
    names: &[&str],
) -> Result<OneFactor, ReliabilityError> {
    if k < 3 {
        return Err(ReliabilityError::TooFewItems {
            scale: scale.into(),
            k,
            needed: 3,
            what: "a one-factor model (omega)".into(),
        });
    }
    let eig = symmetric_eigen(r, k);
    if eig.is_singular() {
        return Err(singular(scale, names, &eig));
    }
    let inv = eig.apply(|l| 1.0 / l);
    let mut h2: Vec<f64> = (0..k).map(|j| 1.0 - 1.0 / inv[j * k + j]).collect();
    let mut m = r.to_vec();
    let mut loadings = vec![0.0; k];
    for it in 1..=1000 {
        for j in 0..k {
            m[j * k + j] = h2[j];
        }
        // Leading eigenpair: power iteration warm-started from the last loadings (cheap, k²
        // per step); the full Jacobi decomposition when it does not settle.
        let (value, vector) = leading_eigen(&m, k, &loadings).unwrap_or_else(|| {
            let e = symmetric_eigen(&m, k);
            (e.values[0], (0..k).map(|i| e.vectors[i * k]).collect())
        });
        let root = value.max(0.0).sqrt();
        let sign = if vector.iter().sum::<f64>() < 0.0 {
            -1.0
        } else {
            1.0
        };
        for (l, v) in loadings.iter_mut().zip(&vector) {
            *l = sign * root * v;
        }
        let change = loadings
            .iter()
            .zip(&h2)
            .map(|(l, h)| (l * l - h).abs())
            .fold(0.0, f64::max);
        for (h, l) in h2.iter_mut().zip(&loadings) {
            *h = l * l;
        }
        if change < 1e-10 {
            if let Some(j) = h2.iter().position(|&h| h > 1.0 + 1e-9) {
                return Err(ReliabilityError::Undefined {
                    scale: scale.into(),
                    message: format!(
                        "one-factor model: item `{}` has a communality above 1 (Heywood case); omega is not reported",
                        names[j]
                    ),
                });
            }
            let signs: Vec<f64> = loadings
                .iter()
                .map(|l| if *l < 0.0 { -1.0 } else { 1.0 })
                .collect();
            let sum_r: f64 = (0..k * k).map(|c| signs[c / k] * signs[c % k] * r[c]).sum();
            let uniq: f64 = h2.iter().map(|h| 1.0 - h).sum();
            return Ok(OneFactor {
                reversed: (0..k).filter(|&j| signs[j] < 0.0).collect(),
                loadings,
                omega_total: 1.0 - uniq / sum_r,
                iterations: it,
            });
        }
    }
    Err(ReliabilityError::Undefined {
        scale: scale.into(),
        message: "one-factor model did not converge in 1000 iterations; omega is not reported"
            .into(),
    })
}

/// Largest-magnitude eigenpair by power iteration from `start`; `None` when it does not
/// converge in 2000 steps (e.g. a dominant negative eigenvalue, or two close ones).
fn leading_eigen(m: &[f64], k: usize, start: &[f64]) -> Option<(f64, Vec<f64>)> {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut v: Vec<f64> = if norm(start) > 0.0 {
        let n = norm(start);
        start.iter().map(|x| x / n).collect()
    } else {
        vec![1.0 / (k as f64).sqrt(); k]
    };
    for _ in 0..2000 {
        let w = mat_vec(m, &v);
        let n = norm(&w);
        if n == 0.0 || !n.is_finite() {
            return None;
        }
        let value: f64 = v.iter().zip(&w).map(|(a, b)| a * b).sum();
        let next: Vec<f64> = w.iter().map(|x| x / n).collect();
        let change = next
            .iter()
            .zip(&v)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        v = next;
        if change < 1e-13 {
            return (value > 0.0).then_some((value, v));
        }
    }
    None
}

fn singular(scale: &str, names: &[&str], eig: &linalg::Eigen) -> ReliabilityError {
    let involved: Vec<&str> = eig
        .dependent_variables()
        .into_iter()
        .map(|j| names[j])
        .collect();
    ReliabilityError::Singular {
        scale: scale.into(),
        items: if involved.is_empty() {
            names.join(", ")
        } else {
            involved.join(", ")
        },
    }
}

/// Per item of a scale: corrected item–total correlation and α if the item is deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemTotal {
    /// r between the item and the sum of the other items (psych `r.drop`):
    /// (Σ_l C_jl − C_jj) / √(C_jj · (ΣC − 2Σ_l C_jl + C_jj)).
    pub r_drop: f64,
    /// Raw α of the scale without the item; `None` for a two-item scale.
    pub alpha_if_deleted: Option<f64>,
    pub std_alpha_if_deleted: Option<f64>,
}

pub fn item_total(
    cov: &Cov,
    scale: &str,
    names: &[&str],
) -> Result<Vec<ItemTotal>, ReliabilityError> {
    let k = cov.k;
    if k < 2 {
        return Err(ReliabilityError::TooFewItems {
            scale: scale.into(),
            k,
            needed: 2,
            what: "an item–total correlation".into(),
        });
    }
    let total: f64 = cov.c.iter().sum();
    (0..k)
        .map(|j| {
            let row: f64 = (0..k).map(|l| cov.c[j * k + l]).sum();
            let cjj = cov.c[j * k + j];
            let rest = total - 2.0 * row + cjj;
            let r_drop = (row - cjj) / (cjj * rest).sqrt();
            let (alpha_if_deleted, std_alpha_if_deleted) = if k >= 3 {
                let others: Vec<&str> = names
                    .iter()
                    .enumerate()
                    .filter(|(l, _)| *l != j)
                    .map(|(_, n)| *n)
                    .collect();
                match alpha_from_cov(&cov.without(j), scale, &others) {
                    Ok(a) => (Some(a.raw), Some(a.std)),
                    Err(_) => (None, None),
                }
            } else {
                (None, None)
            };
            if !r_drop.is_finite() {
                return Err(ReliabilityError::Undefined {
                    scale: scale.into(),
                    message: format!(
                        "item `{}`: the other items' sum has no variance, so its item–total correlation is undefined",
                        names[j]
                    ),
                });
            }
            Ok(ItemTotal {
                r_drop,
                alpha_if_deleted,
                std_alpha_if_deleted,
            })
        })
        .collect()
}

/// Johnson's (2000) relative weights and the standardised regression of an outcome on
/// predictors, from their correlations.
#[derive(Debug, Clone, PartialEq)]
pub struct RelativeWeights {
    /// Standardised regression coefficients β = R_xx⁻¹ r_xy.
    pub beta: Vec<f64>,
    /// Raw relative weights ε_j = Σ_k (Λ_jk)² β*_k², Λ = R_xx^½, β* = Λ⁻¹ r_xy; Σε = R².
    pub raw: Vec<f64>,
    pub r_squared: f64,
}

impl RelativeWeights {
    /// ε_j / R² · 100.
    pub fn rescaled(&self) -> Vec<f64> {
        self.raw
            .iter()
            .map(|e| e / self.r_squared * 100.0)
            .collect()
    }
}

/// `rxx`: p × p predictor correlations; `rxy`: predictor–outcome correlations.
pub fn relative_weights(
    rxx: &[f64],
    rxy: &[f64],
    scale: &str,
    names: &[&str],
) -> Result<RelativeWeights, ReliabilityError> {
    let p = rxy.len();
    if p < 1 {
        return Err(ReliabilityError::TooFewItems {
            scale: scale.into(),
            k: p,
            needed: 1,
            what: "a driver analysis".into(),
        });
    }
    let eig = symmetric_eigen(rxx, p);
    if eig.is_singular() {
        return Err(singular(scale, names, &eig));
    }
    let beta = mat_vec(&eig.apply(|l| 1.0 / l), rxy);
    let lambda = eig.apply(|l| l.sqrt());
    let beta_star = mat_vec(&eig.apply(|l| 1.0 / l.sqrt()), rxy);
    let raw: Vec<f64> = (0..p)
        .map(|j| {
            (0..p)
                .map(|m| lambda[j * p + m].powi(2) * beta_star[m].powi(2))
                .sum()
        })
        .collect();
    let r_squared: f64 = beta.iter().zip(rxy).map(|(b, r)| b * r).sum();
    if r_squared <= 0.0 {
        return Err(ReliabilityError::Undefined {
            scale: scale.into(),
            message: "the predictors explain nothing of the outcome (R² = 0)".into(),
        });
    }
    Ok(RelativeWeights {
        beta,
        raw,
        r_squared,
    })
}

/// SplitMix64: a small, seedable generator for bootstrap resampling (reproducible across
/// platforms and versions of lyhord).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (Lemire's multiply-shift; bias below 2⁻³² for survey sizes).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
    /// A resample of `rows` with replacement.
    pub fn resample(&mut self, rows: &[u32], out: &mut Vec<u32>) {
        out.clear();
        out.extend((0..rows.len()).map(|_| rows[self.below(rows.len())]));
    }
}

/// Percentile interval of bootstrap replicates (type-7 quantiles, as numpy's default).
pub fn percentile_ci(values: &mut [f64], confidence: f64) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = (values.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = h.ceil() as usize;
        values[lo] + (h - lo as f64) * (values[hi] - values[lo])
    };
    let a = 1.0 - confidence;
    Some((q(a / 2.0), q(1.0 - a / 2.0)))
}

/// Reliability of one scale on a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleReliability {
    pub k: usize,
    /// Respondents used: with at least one answer (pairwise) or with all answers (listwise).
    pub n: u64,
    pub alpha: Alpha,
    pub ci: Option<(f64, f64)>,
    pub omega_total: Option<f64>,
    /// α and ω of the polychoric correlations (answers as ordinal), when asked for.
    pub alpha_ordinal: Option<f64>,
    pub omega_ordinal: Option<f64>,
    /// Why an optional statistic is missing (singular R, Heywood case, failed replicates).
    pub notes: Vec<String>,
}

/// How the interval of α is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiMethod {
    Feldt,
    Bootstrap { n_boot: usize, seed: u64 },
}

/// The `ci=` keyword: which [`CiMethod`] (the bootstrap's settings are keywords of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiKind {
    Feldt,
    Bootstrap,
}

crate::choice!(CiKind, "ci", {
    Feldt => "feldt",
    Bootstrap => "bootstrap",
});

impl CiKind {
    /// The method, with the bootstrap's replicates and seed.
    pub fn method(self, n_boot: usize, seed: u64) -> CiMethod {
        match self {
            CiKind::Feldt => CiMethod::Feldt,
            CiKind::Bootstrap => CiMethod::Bootstrap { n_boot, seed },
        }
    }
}

/// α, λ6, ω and a CI of α for `items` over `rows`.
pub fn scale_reliability(
    items: &[&dyn ItemValues],
    rows: &[u32],
    names: &[&str],
    scale: &str,
    missing: Missing,
    ci: CiMethod,
    confidence: f64,
) -> Result<ScaleReliability, ReliabilityError> {
    check_confidence(confidence)?;
    let k = items.len();
    if k < 2 {
        return Err(ReliabilityError::TooFewItems {
            scale: scale.into(),
            k,
            needed: 2,
            what: "Cronbach's alpha".into(),
        });
    }
    let sums = PairSums::compute(items, rows, missing);
    let n = sums.rows_any;
    if n < 3 {
        return Err(ReliabilityError::TooFewRespondents {
            scale: scale.into(),
            n,
            needed: 3,
        });
    }
    let cov = sums.covariance(scale, names)?;
    let alpha = alpha_from_cov(&cov, scale, names)?;
    let mut notes = Vec::new();
    if alpha.g6.is_none() {
        notes.push("lambda6: the correlation matrix is singular".to_string());
    }
    let omega_total = match sums
        .pairwise_correlation(scale, names)
        .and_then(|r| one_factor(&r, k, scale, names))
    {
        Ok(f) => {
            if !f.reversed.is_empty() {
                let items: Vec<&str> = f.reversed.iter().map(|&j| names[j]).collect();
                notes.push(format!(
                    "omega: {} load negatively and were reversed for omega (as psych::omega does); check the instrument's reverse keys",
                    items.join(", ")
                ));
            }
            Some(f.omega_total)
        }
        Err(e) => {
            notes.push(format!("omega: {e}"));
            None
        }
    };
    let ci = match ci {
        CiMethod::Feldt => Some(feldt_ci(alpha.raw, n, k, confidence)?),
        CiMethod::Bootstrap { n_boot, seed } => {
            let mut rng = SplitMix64::new(seed);
            let mut sample = Vec::with_capacity(rows.len());
            let mut reps = Vec::with_capacity(n_boot);
            for _ in 0..n_boot {
                rng.resample(rows, &mut sample);
                let rep = PairSums::compute(items, &sample, missing)
                    .covariance(scale, names)
                    .and_then(|c| alpha_from_cov(&c, scale, names));
                if let Ok(a) = rep {
                    reps.push(a.raw);
                }
            }
            if reps.len() < n_boot {
                notes.push(format!(
                    "bootstrap: {} of {n_boot} resamples had an undefined alpha and were left out",
                    n_boot - reps.len()
                ));
            }
            percentile_ci(&mut reps, confidence)
        }
    };
    Ok(ScaleReliability {
        k,
        n,
        alpha,
        ci,
        omega_total,
        alpha_ordinal: None,
        omega_ordinal: None,
        notes,
    })
}

/// Correlations of `vars` (predictors then the outcome, last) from pairwise sums.
fn driver_correlations(
    sums: &PairSums,
    scale: &str,
    names: &[&str],
) -> Result<(Vec<f64>, Vec<f64>), ReliabilityError> {
    sums.covariance(scale, names)?;
    let r = sums.pairwise_correlation(scale, names)?;
    let q = sums.k;
    let p = q - 1;
    let mut rxx = vec![0.0; p * p];
    for j in 0..p {
        for l in 0..p {
            rxx[j * p + l] = r[j * q + l];
        }
    }
    let rxy: Vec<f64> = (0..p).map(|j| r[j * q + p]).collect();
    Ok((rxx, rxy))
}

/// Driver analysis of one outcome on a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Drivers {
    /// Respondents answering both the predictor and the outcome, per predictor.
    pub n: Vec<u64>,
    /// Respondents with the outcome and at least one predictor.
    pub n_used: u64,
    pub r: Vec<f64>,
    pub weights: RelativeWeights,
    /// Percentile bootstrap intervals of the raw and the rescaled weights.
    pub raw_ci: Option<Vec<(f64, f64)>>,
    pub pct_ci: Option<Vec<(f64, f64)>>,
    pub notes: Vec<String>,
}

/// How a driver analysis is computed: missing answers, bootstrap replicates (0: none) and
/// seed, and the confidence of the intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriverSettings {
    pub missing: Missing,
    pub n_boot: usize,
    pub seed: u64,
    pub confidence: f64,
}

/// Correlations, standardised β and relative weights of `predictors` for `outcome`, from
/// the pairwise (or listwise) correlation matrix; percentile bootstrap CIs of the weights
/// when `n_boot > 0`.
pub fn drivers(
    predictors: &[&dyn ItemValues],
    outcome: &dyn ItemValues,
    rows: &[u32],
    names: &[&str],
    outcome_name: &str,
    settings: DriverSettings,
) -> Result<Drivers, ReliabilityError> {
    let DriverSettings {
        missing,
        n_boot,
        seed,
        confidence,
    } = settings;
    check_confidence(confidence)?;
    let p = predictors.len();
    let scale = format!("drivers of `{outcome_name}`");
    if p < 1 {
        return Err(ReliabilityError::TooFewItems {
            scale,
            k: p,
            needed: 1,
            what: "a driver analysis".into(),
        });
    }
    let mut vars: Vec<&dyn ItemValues> = predictors.to_vec();
    vars.push(outcome);
    let mut all_names: Vec<&str> = names.to_vec();
    all_names.push(outcome_name);
    // Only respondents with the outcome count.
    let mut buf = vec![0.0; CHUNK];
    let mut with_outcome = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        outcome.fill(chunk, &mut buf, 1);
        with_outcome.extend(
            chunk
                .iter()
                .zip(&buf)
                .filter(|(_, y)| !y.is_nan())
                .map(|(r, _)| *r),
        );
    }
    let sums = PairSums::compute(&vars, &with_outcome, missing);
    let n_used = sums.rows_any;
    if n_used < 3 {
        return Err(ReliabilityError::TooFewRespondents {
            scale,
            n: n_used,
            needed: 3,
        });
    }
    let (rxx, rxy) = driver_correlations(&sums, &scale, &all_names)?;
    let weights = relative_weights(&rxx, &rxy, &scale, names)?;
    let q = p + 1;
    let n: Vec<u64> = (0..p).map(|j| sums.n[j * q + p]).collect();
    let mut notes = Vec::new();
    if weights.r_squared > 1.0 + 1e-9 {
        notes.push(format!(
            "R² = {:.4} exceeds 1: the pairwise correlation matrix is not consistent; use missing=\"listwise\"",
            weights.r_squared
        ));
    }
    let (raw_ci, pct_ci) = if n_boot > 0 {
        let mut rng = SplitMix64::new(seed);
        let mut sample = Vec::with_capacity(with_outcome.len());
        let mut raw_reps: Vec<Vec<f64>> = vec![Vec::with_capacity(n_boot); p];
        let mut pct_reps: Vec<Vec<f64>> = vec![Vec::with_capacity(n_boot); p];
        let mut failed = 0;
        for _ in 0..n_boot {
            rng.resample(&with_outcome, &mut sample);
            let rep = PairSums::compute(&vars, &sample, missing);
            match driver_correlations(&rep, &scale, &all_names)
                .and_then(|(rxx, rxy)| relative_weights(&rxx, &rxy, &scale, names))
            {
                Ok(w) => {
                    for (j, (e, pct)) in w.raw.iter().zip(w.rescaled()).enumerate() {
                        raw_reps[j].push(*e);
                        pct_reps[j].push(pct);
                    }
                }
                Err(_) => failed += 1,
            }
        }
        if failed > 0 {
            notes.push(format!(
                "bootstrap: {failed} of {n_boot} resamples had a singular or degenerate correlation matrix and were left out"
            ));
        }
        let ci = |reps: &mut Vec<Vec<f64>>| -> Option<Vec<(f64, f64)>> {
            reps.iter_mut()
                .map(|v| percentile_ci(v, confidence))
                .collect()
        };
        (ci(&mut raw_reps), ci(&mut pct_reps))
    } else {
        (None, None)
    };
    Ok(Drivers {
        n,
        n_used,
        r: rxy,
        weights,
        raw_ci,
        pct_ci,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Codes read as an item (what a scored item of an evenly stepped scale gives).
    struct CodedColumn<'a>(Coded<'a>);

    impl ItemValues for CodedColumn<'_> {
        fn rows(&self) -> usize {
            self.0.codes.len()
        }
        fn fill(&self, rows: &[u32], out: &mut [f64], stride: usize) {
            for (r, &row) in rows.iter().enumerate() {
                let q = self.0.q(self.0.codes[row as usize]);
                out[r * stride] = if q == 0 {
                    f64::NAN
                } else {
                    self.0.offset + self.0.step * f64::from(q)
                };
            }
        }
        fn coded(&self) -> Option<Coded<'_>> {
            Some(self.0)
        }
    }

    proptest! {
        /// The blocked kernel adds the same cross products as one sum per pair.
        #[test]
        fn blocked_cross_products_equal_plain_sums(
            k in 1usize..12,
            m in 0usize..40,
            seed in any::<u64>(),
        ) {
            let mut rng = SplitMix64::new(seed);
            let mut buf = vec![0.0; CHUNK * padded(k)];
            for j in 0..k {
                for r in 0..m {
                    buf[j * CHUNK + r] = rng.below(1000) as f64 / 250.0 - 2.0;
                }
            }
            let mut tri = vec![0.5; k * k];
            cross_products::<f64, 4>(&buf, k, m, &mut tri);
            for j in 0..k {
                for l in 0..k {
                    let expected = if l >= j {
                        0.5 + (0..m).map(|r| buf[j * CHUNK + r] * buf[l * CHUNK + r]).sum::<f64>()
                    } else {
                        0.5
                    };
                    prop_assert!((tri[j * k + l] - expected).abs() < 1e-12, "{} {}", j, l);
                }
            }
        }

        /// Codes summed in `f32` and turned into values give the covariances, correlations,
        /// counts and means the values themselves give (pairwise and listwise), on scales
        /// up to the widest the `f32` path takes, rising or falling.
        #[test]
        fn codes_summed_exactly_give_what_their_values_give(
            k in 2usize..7,
            rows in 3usize..1_400,
            levels in prop::sample::select(vec![2usize, 5, 7, 11, MAX_CODE]),
            step in prop::sample::select(vec![25.0, -100.0 / 6.0, 1.0]),
            gaps in 0.0f64..0.5,
            listwise in any::<bool>(),
            every_row in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mut rng = SplitMix64::new(seed);
            let lowest = 1i16;
            let offset = 50.0 - step;
            let codes: Vec<Vec<i16>> = (0..k)
                .map(|_| {
                    (0..rows)
                        .map(|_| {
                            if (rng.below(1000) as f64) < gaps * 1000.0 {
                                crate::score::MISSING
                            } else {
                                lowest + rng.below(levels) as i16
                            }
                        })
                        .collect()
                })
                .collect();
            let coded: Vec<CodedColumn> = codes
                .iter()
                .map(|c| CodedColumn(Coded { codes: c, lowest, levels: levels as u16, offset, step }))
                .collect();
            let values: Vec<Vec<Option<f64>>> = codes
                .iter()
                .map(|c| c.iter().map(|&x| (x != crate::score::MISSING).then(|| offset + step * f64::from(x - lowest + 1))).collect())
                .collect();
            // Every row (read as a slice), or a group's scattered rows (read one by one).
            let all: Vec<u32> = (0..rows as u32).filter(|r| every_row || r % 3 != 1).collect();
            let missing = if listwise { Missing::Listwise } else { Missing::Pairwise };
            let as_codes: Vec<&dyn ItemValues> = coded.iter().map(|c| c as &dyn ItemValues).collect();
            let as_values: Vec<&dyn ItemValues> = values.iter().map(|v| v as &dyn ItemValues).collect();
            let a = PairSums::compute(&as_codes, &all, missing);
            let b = PairSums::compute(&as_values, &all, missing);
            prop_assert_eq!(&a.n, &b.n);
            prop_assert_eq!((a.rows_any, a.rows_complete), (b.rows_any, b.rows_complete));
            let names: Vec<String> = (0..k).map(|j| format!("q{j}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * (1.0 + y.abs());
            match (a.covariance("s", &names), b.covariance("s", &names)) {
                (Ok(ca), Ok(cb)) => {
                    for (x, y) in ca.c.iter().zip(&cb.c) {
                        prop_assert!(close(*x, *y), "{} {}", x, y);
                    }
                    match (a.pairwise_correlation("s", &names), b.pairwise_correlation("s", &names)) {
                        (Ok(ra), Ok(rb)) => {
                            for (x, y) in ra.iter().zip(&rb) {
                                prop_assert!(close(*x, *y), "{} {}", x, y);
                            }
                        }
                        (ra, rb) => prop_assert_eq!(ra.is_err(), rb.is_err()),
                    }
                }
                (ca, cb) => prop_assert_eq!(ca.is_err(), cb.is_err()),
            }
            for j in 0..k {
                match (a.mean(j), b.mean(j)) {
                    (Some(x), Some(y)) => prop_assert!(close(x, y), "{} {}", x, y),
                    (x, y) => prop_assert_eq!(x, y),
                }
            }
        }
    }
}
