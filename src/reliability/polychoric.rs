//! Polychoric correlations: the correlation of two normal variables that, cut at thresholds,
//! give the two items' answer categories. Two-step estimate as R `psych::polychoric` (and
//! Olsson 1979): each item's thresholds from its own answers (`τ_c = Φ⁻¹(share answering c
//! or lower)`), then per pair the ρ that maximises the likelihood of the pair's table,
//! `Σ p_ij ln P_ij(ρ)`, with `P_ij` the bivariate normal mass of cell (i, j). Unlike psych,
//! the cell masses are exact to about 1e-15 (Genz's BVND, not an adaptive integration to
//! 1e-6) and ρ is found to 1e-10 (psych: R `optimize`'s default 1.2e-4).

use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::OnceLock;

/// Standard normal CDF.
fn phi(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// Standard normal quantile; ±∞ at 0 and 1.
fn phi_inv(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    Normal::standard().inverse_cdf(p)
}

/// The `n` Gauss–Legendre nodes and weights on (−1, 1), by Newton's method on Pₙ (computed,
/// not transcribed, so no digit can be wrong).
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut derivative = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let kf = k as f64;
                (p0, p1) = (p1, ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf);
            }
            derivative = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let step = p1 / derivative;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        out.push((x, 2.0 / ((1.0 - x * x) * derivative * derivative)));
    }
    out
}

/// Gauss–Legendre rules of 6, 12 and 20 points, as Genz's BVND uses them.
struct Rules {
    six: Vec<(f64, f64)>,
    twelve: Vec<(f64, f64)>,
    twenty: Vec<(f64, f64)>,
}

/// The rules, computed once.
fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules {
        six: gauss_legendre(6),
        twelve: gauss_legendre(12),
        twenty: gauss_legendre(20),
    })
}

/// P(X > h, Y > k) for standard bivariate normal X, Y with correlation `r`: Genz (2004),
/// "Numerical computation of rectangular bivariate and trivariate normal and t
/// probabilities", Statistics and Computing 14, 251–260 (the BVND routine, which refines
/// Drezner & Wesolowsky 1990); about 1e-15 absolute.
fn upper_orthant(h: f64, k: f64, r: f64) -> f64 {
    use std::f64::consts::PI;
    let rules = rules();
    let rule = if r.abs() < 0.3 {
        &rules.six
    } else if r.abs() < 0.75 {
        &rules.twelve
    } else {
        &rules.twenty
    };
    let mut hk = h * k;
    if r.abs() < 0.925 {
        let hs = (h * h + k * k) / 2.0;
        let asr = r.asin();
        let sum: f64 = rule
            .iter()
            .map(|&(x, w)| {
                let sn = (asr * (x + 1.0) / 2.0).sin();
                w * ((sn * hk - hs) / (1.0 - sn * sn)).exp()
            })
            .sum();
        return sum * asr / (4.0 * PI) + phi(-h) * phi(-k);
    }
    let k = if r < 0.0 {
        hk = -hk;
        -k
    } else {
        k
    };
    let mut bvn = 0.0;
    if r.abs() < 1.0 {
        let a_s = (1.0 - r) * (1.0 + r);
        let mut a = a_s.sqrt();
        let bs = (h - k) * (h - k);
        let c = (4.0 - hk) / 8.0;
        let d = (12.0 - hk) / 16.0;
        bvn = a
            * (-(bs / a_s + hk) / 2.0).exp()
            * (1.0 - c * (bs - a_s) * (1.0 - d * bs / 5.0) / 3.0 + c * d * a_s * a_s / 5.0);
        if hk > -160.0 {
            let b = bs.sqrt();
            bvn -= (-hk / 2.0).exp()
                * (2.0 * PI).sqrt()
                * phi(-b / a)
                * b
                * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0);
        }
        a /= 2.0;
        // The rule's nodes are symmetric: all n of them cover Genz's ±x pairs.
        for &(x, w) in rule {
            let xs = (a * (x + 1.0)).powi(2);
            let rs = (1.0 - xs).sqrt();
            let asr = -(bs / xs + hk) / 2.0;
            if asr > -100.0 {
                bvn += a
                    * w
                    * asr.exp()
                    * ((-hk * xs / (2.0 * (1.0 + rs).powi(2))).exp() / rs
                        - (1.0 + c * xs * (1.0 + d * xs)));
            }
        }
        bvn = -bvn / (2.0 * PI);
    }
    if r > 0.0 {
        bvn + phi(-h.max(k))
    } else {
        -bvn + (phi(-h) - phi(-k)).max(0.0)
    }
}

/// P(X ≤ h, Y ≤ k) for standard bivariate normal X, Y with correlation `r`; infinite limits
/// allowed.
pub fn bivariate_normal_cdf(h: f64, k: f64, r: f64) -> f64 {
    if h == f64::NEG_INFINITY || k == f64::NEG_INFINITY {
        return 0.0;
    }
    if h == f64::INFINITY {
        return phi(k);
    }
    if k == f64::INFINITY {
        return phi(h);
    }
    upper_orthant(-h, -k, r)
}

/// Thresholds of one item from its answer counts per category (lowest first): the normal
/// quantiles of the cumulative shares, one fewer than the categories.
pub fn thresholds(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    let mut cumulative = 0.0;
    counts[..counts.len().saturating_sub(1)]
        .iter()
        .map(|&c| {
            cumulative += c;
            phi_inv(cumulative / total)
        })
        .collect()
}

/// Cut `k` of an item with thresholds `t`: the lower edge of category `k` (−∞ for the
/// first, +∞ past the last).
pub fn cut(t: &[f64], k: usize) -> f64 {
    if k == 0 {
        f64::NEG_INFINITY
    } else {
        t.get(k - 1).copied().unwrap_or(f64::INFINITY)
    }
}

/// The cell masses of a pair's table under correlation `rho`, row-major.
fn cell_masses(rows: &[f64], cols: &[f64], rho: f64) -> Vec<f64> {
    let (nr, nc) = (rows.len() + 1, cols.len() + 1);
    // Cumulative masses at every pair of cuts, then the cells as their differences.
    let mut cum = vec![0.0; (nr + 1) * (nc + 1)];
    for i in 0..=nr {
        for j in 0..=nc {
            cum[i * (nc + 1) + j] = bivariate_normal_cdf(cut(rows, i), cut(cols, j), rho);
        }
    }
    let at = |i: usize, j: usize| cum[i * (nc + 1) + j];
    let mut cells = Vec::with_capacity(nr * nc);
    for i in 1..=nr {
        for j in 1..=nc {
            cells.push(at(i, j) - at(i - 1, j) - at(i, j - 1) + at(i - 1, j - 1));
        }
    }
    cells
}

/// Minus the log-likelihood per answer pair (psych's `polyF`): cells of zero mass are left
/// out, as psych leaves out their NaN logarithms.
fn minus_log_likelihood(shares: &[f64], rows: &[f64], cols: &[f64], rho: f64) -> f64 {
    cell_masses(rows, cols, rho)
        .iter()
        .zip(shares)
        .filter(|(&mass, _)| mass > 0.0)
        .map(|(&mass, &share)| -share * mass.ln())
        .sum()
}

/// The polychoric correlation of one pair: `table` holds the pair's counts row-major
/// (`rows.len() + 1` rows of `cols.len() + 1` cells), `rows`/`cols` the two items'
/// thresholds. `None` when no respondent answered both, or when an item's answers all fall
/// in one category (every threshold infinite: the likelihood is flat in ρ; psych drops
/// such an item).
pub fn polychoric_pair(table: &[f64], rows: &[f64], cols: &[f64]) -> Option<f64> {
    let total: f64 = table.iter().sum();
    let varies = |t: &[f64]| t.iter().any(|x| x.is_finite());
    if total <= 0.0 || !varies(rows) || !varies(cols) {
        return None;
    }
    let shares: Vec<f64> = table.iter().map(|c| c / total).collect();
    let objective = |rho: f64| minus_log_likelihood(&shares, rows, cols, rho);
    Some(brent_minimum(objective, -1.0, 1.0, 1e-10))
}

/// One item's valid codes (oriented, as scoring recodes them; anything below `min` is a
/// missing or special answer) on the scale `min..=max`.
pub struct OrdinalItem<'a> {
    pub codes: &'a [i16],
    pub min: i16,
    pub max: i16,
}

impl OrdinalItem<'_> {
    fn categories(&self) -> usize {
        (self.max - self.min) as usize + 1
    }

    pub fn answered(&self, row: usize) -> bool {
        self.category(row).is_some()
    }

    fn category(&self, row: usize) -> Option<usize> {
        let c = self.codes[row];
        (self.min..=self.max)
            .contains(&c)
            .then(|| (c - self.min) as usize)
    }
}

/// Polychoric correlations of every pair of items (row-major, 1 on the diagonal; NaN for a
/// pair without a correlation, see [`polychoric_pair`]), and per pair the respondents who
/// answered both (on the diagonal: who answered the item).
pub struct Polychoric {
    pub rho: Vec<f64>,
    pub pair_n: Vec<u64>,
}

/// Polychoric correlations of `items` over `rows` (pairwise: each pair from the rows that
/// answered both; each item's thresholds from the rows that answered it).
pub fn polychoric_matrix(items: &[OrdinalItem], rows: &[u32]) -> Polychoric {
    let k = items.len();
    let counts: Vec<Vec<f64>> = items
        .iter()
        .map(|item| {
            let mut counts = vec![0.0; item.categories()];
            for &row in rows {
                if let Some(c) = item.category(row as usize) {
                    counts[c] += 1.0;
                }
            }
            counts
        })
        .collect();
    let thresholds: Vec<Vec<f64>> = counts.iter().map(|c| thresholds(c)).collect();
    let pairs: Vec<(usize, usize)> = (0..k)
        .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
        .collect();
    let threads = crate::parallel::threads_for(rows.len() * pairs.len() / 100);
    let fitted = crate::parallel::map_in_order(&pairs, threads, |&(a, b)| {
        let (x, y) = (&items[a], &items[b]);
        let mut table = vec![0.0; x.categories() * y.categories()];
        for &row in rows {
            if let (Some(i), Some(j)) = (x.category(row as usize), y.category(row as usize)) {
                table[i * y.categories() + j] += 1.0;
            }
        }
        let n = table.iter().sum::<f64>() as u64;
        let rho = polychoric_pair(&table, &thresholds[a], &thresholds[b]).unwrap_or(f64::NAN);
        (rho, n)
    });
    let mut rho = super::linalg::identity(k);
    let mut pair_n = vec![0; k * k];
    for (&(a, b), &(r, n)) in pairs.iter().zip(&fitted) {
        (rho[a * k + b], rho[b * k + a]) = (r, r);
        (pair_n[a * k + b], pair_n[b * k + a]) = (n, n);
    }
    for (a, item_counts) in counts.iter().enumerate() {
        pair_n[a * k + a] = item_counts.iter().sum::<f64>() as u64;
    }
    Polychoric { rho, pair_n }
}

/// Where `f` is least on (a, b): Brent's method without derivatives, as R's `optimize`
/// (R's `Brent_fmin`, after Brent 1973, ch. 5), to `tol`.
pub fn brent_minimum(f: impl Fn(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    let golden = (3.0 - 5f64.sqrt()) * 0.5;
    let eps = f64::EPSILON.sqrt();
    let (mut a, mut b) = (a, b);
    let mut x = a + golden * (b - a);
    let (mut v, mut w) = (x, x);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    let mut fx = f(x);
    let (mut fv, mut fw) = (fx, fx);
    let tol3 = tol / 3.0;
    for _ in 0..1000 {
        let xm = (a + b) * 0.5;
        let tol1 = eps * x.abs() + tol3;
        let t2 = tol1 * 2.0;
        if (x - xm).abs() <= t2 - (b - a) * 0.5 {
            break;
        }
        let (mut p, mut q, mut r) = (0.0, 0.0, 0.0);
        if e.abs() > tol1 {
            r = (x - w) * (fx - fv);
            q = (x - v) * (fx - fw);
            p = (x - v) * q - (x - w) * r;
            q = (q - r) * 2.0;
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            r = e;
            e = d;
        }
        if p.abs() >= (q * 0.5 * r).abs() || p <= q * (a - x) || p >= q * (b - x) {
            e = if x < xm { b - x } else { a - x };
            d = golden * e;
        } else {
            d = p / q;
            let u = x + d;
            if u - a < t2 || b - u < t2 {
                d = if x < xm { tol1 } else { -tol1 };
            }
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else if d > 0.0 {
            x + tol1
        } else {
            x - tol1
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            (v, w, x) = (w, x, u);
            (fv, fw, fx) = (fw, fx, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        // An n-point rule is exact for degree 2n − 1: ∫₋₁¹ x¹⁰ dx = 2/11.
        let rule = gauss_legendre(6);
        let integral: f64 = rule.iter().map(|&(x, w)| w * x.powi(10)).sum();
        assert!((integral - 2.0 / 11.0).abs() < 1e-15, "{integral}");
        assert!((rule.iter().map(|p| p.1).sum::<f64>() - 2.0).abs() < 1e-14);
    }

    #[test]
    fn bivariate_normal_at_the_origin_is_sheppards_formula() {
        // Φ₂(0, 0; ρ) = 1/4 + asin(ρ)/(2π) (Sheppard 1898), in all three branches of BVND.
        for r in [-0.99, -0.8, -0.5, -0.1, 0.0, 0.2, 0.6, 0.9, 0.95, 0.999] {
            let exact = 0.25 + f64::asin(r) / (2.0 * std::f64::consts::PI);
            let got = bivariate_normal_cdf(0.0, 0.0, r);
            assert!((got - exact).abs() < 1e-14, "r = {r}: {got} vs {exact}");
        }
    }

    #[test]
    fn bivariate_normal_has_the_right_margins_and_independence() {
        let (h, k) = (0.3, -1.2);
        assert!((bivariate_normal_cdf(h, k, 0.0) - phi(h) * phi(k)).abs() < 1e-15);
        assert!((bivariate_normal_cdf(h, f64::INFINITY, 0.7) - phi(h)).abs() < 1e-15);
        // Symmetric in (h, k); P(X ≤ h, Y ≤ k) + P(X ≤ h, Y > k) = Φ(h) with −ρ for −Y.
        for r in [-0.95, -0.5, 0.4, 0.93] {
            let a = bivariate_normal_cdf(h, k, r);
            assert!((a - bivariate_normal_cdf(k, h, r)).abs() < 1e-15);
            let b = bivariate_normal_cdf(h, -k, -r);
            assert!((a + b - phi(h)).abs() < 1e-14, "r = {r}");
        }
    }

    #[test]
    fn thresholds_match_psych() {
        // bfi A1 reversed (7 − A1; tests/data/bfi_ac.csv), answer counts 82 223 337 402 818
        // 922; R, psych 2.2.9: polychoric(d)$tau["A1", ].
        let tau = thresholds(&[82.0, 223.0, 337.0, 402.0, 818.0, 922.0]);
        let psych = [-0.736860977691, -0.318639363964, 0.436662234004];
        let psych_low = [-1.888878985018, -1.228900282881];
        for (t, want) in tau.iter().zip(psych_low.iter().chain(&psych)) {
            assert!((t - want).abs() < 1e-11, "{t} vs {want}");
        }
        assert_eq!(thresholds(&[0.0, 5.0])[0], f64::NEG_INFINITY);
        // An item answered in one category only has no correlation with anything.
        let one = thresholds(&[0.0, 7.0, 0.0]);
        let other = thresholds(&[3.0, 4.0]);
        assert_eq!(
            polychoric_pair(&[0.0, 0.0, 3.0, 4.0, 0.0, 0.0], &one, &other),
            None
        );
    }

    #[test]
    fn brent_finds_a_parabola_minimum() {
        let x = brent_minimum(|x| (x - 0.3).powi(2) + 1.0, -1.0, 1.0, 1e-10);
        // Brent stops within about √ε·|x| (1e-8 here), as R's optimize.
        assert!((x - 0.3).abs() < 2e-8, "{x}");
    }

    #[test]
    fn a_table_drawn_from_its_own_model_gives_back_rho() {
        // Cell masses of ρ = 0.45 used as the table: the likelihood peaks at 0.45.
        let rows = thresholds(&[10.0, 20.0, 40.0, 30.0]);
        let cols = thresholds(&[25.0, 50.0, 25.0]);
        let table = cell_masses(&rows, &cols, 0.45);
        let rho = polychoric_pair(&table, &rows, &cols).unwrap();
        assert!((rho - 0.45).abs() < 1e-8, "{rho}");
    }
}
