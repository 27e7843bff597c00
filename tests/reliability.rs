//! Kernel-level tests of `lyhord::reliability`; each reference value names its source.

use lyhord::reliability::linalg::symmetric_eigen;
use lyhord::reliability::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Reads a CSV of numbers with a header; empty cells are missing. Returns (names, columns).
fn read_csv(path: &str) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols = vec![Vec::new(); names.len()];
    for line in lines.filter(|l| !l.trim().is_empty()) {
        for (j, cell) in line.split(',').enumerate() {
            cols[j].push(cell.trim().parse::<f64>().ok());
        }
    }
    (names, cols)
}

fn bfi_agreeableness() -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let (names, mut cols) = read_csv("tests/data/bfi_agreeableness.csv");
    // A1 is reverse-keyed on the 1–6 scale: psych::alpha(keys = "A1") uses 7 − x.
    for v in cols[0].iter_mut().flatten() {
        *v = 7.0 - *v;
    }
    (names, cols)
}

fn refs(cols: &[Vec<Option<f64>>]) -> Vec<&dyn ItemValues> {
    cols.iter().map(|c| c as &dyn ItemValues).collect()
}

fn all_rows(cols: &[Vec<Option<f64>>]) -> Vec<u32> {
    (0..cols[0].len() as u32).collect()
}

fn names_of(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

#[test]
fn jacobi_reconstructs_a_symmetric_matrix() {
    let a = [4.0, 1.0, 2.0, 1.0, 3.0, 0.5, 2.0, 0.5, 5.0];
    let e = symmetric_eigen(&a, 3);
    assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
    let back = e.apply(|l| l);
    for (x, y) in back.iter().zip(&a) {
        assert!(close(*x, *y, 1e-12), "{back:?}");
    }
    // trace and determinant are preserved
    assert!(close(e.values.iter().sum::<f64>(), 12.0, 1e-12));
    let det = 4.0 * (15.0 - 0.25) - 1.0 * (5.0 - 1.0) + 2.0 * (0.5 - 6.0);
    assert!(close(e.values.iter().product::<f64>(), det, 1e-10));
}

#[test]
fn pingouin_cronbach_alpha_dataset() {
    // pingouin 0.7.0: pg.cronbach_alpha(data=pg.read_dataset("cronbach_alpha"),
    //   items="Items", scores="Scores", subject="Subj") -> (0.5917188485995826, [0.195, 0.84])
    let text = std::fs::read_to_string("tests/data/cronbach_alpha.csv").unwrap();
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::new(); 10];
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let item: usize = f[1].trim_start_matches('Q').parse().unwrap();
        cols[item - 1].push(Some(f[2].parse().unwrap()));
    }
    let names: Vec<String> = (1..=10).map(|i| format!("Q{i}")).collect();
    let r = scale_reliability(
        &refs(&cols),
        &all_rows(&cols),
        &names_of(&names),
        "pingouin",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap();
    assert_eq!(r.n, 15);
    assert!(close(r.alpha.raw, 0.5917188485995826, 1e-12));
    let (lo, hi) = r.ci.unwrap();
    assert!(
        close(lo, 0.195, 5e-4) && close(hi, 0.840, 5e-4),
        "{lo} {hi}"
    );
}

#[test]
fn pingouin_wide_missing_pairwise_and_listwise() {
    // pingouin 0.7.0 docstring: pg.cronbach_alpha(data=pg.read_dataset("cronbach_wide_missing"))
    //   -> (0.732660835214447, [0.435, 0.909]); nan_policy="listwise" -> 0.8016949152542373.
    // (pingouin's listwise CI [0.581, 0.933] uses n = 12 rows before dropping incomplete ones;
    // lyhord uses the 9 complete respondents, so only the listwise alpha is compared.)
    let (names, cols) = read_csv("tests/data/cronbach_wide_missing.csv");
    let names = names_of(&names);
    let rows = all_rows(&cols);
    let pw = scale_reliability(
        &refs(&cols),
        &rows,
        &names,
        "w",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap();
    assert!(close(pw.alpha.raw, 0.732660835214447, 1e-12));
    let (lo, hi) = pw.ci.unwrap();
    assert!(close(lo, 0.435, 5e-4) && close(hi, 0.909, 5e-4));
    let lw = scale_reliability(
        &refs(&cols),
        &rows,
        &names,
        "w",
        Missing::Listwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap();
    assert_eq!(lw.n, 9);
    assert!(close(lw.alpha.raw, 0.8016949152542373, 1e-12));
    // 12 respondents, 11 items: the correlation matrix is singular, so λ6 and ω are null
    // with a reason instead of a number.
    assert!(pw.alpha.g6.is_none() && pw.omega_total.is_none());
    assert!(pw.notes.iter().any(|n| n.contains("singular")));
}

#[test]
fn psych_alpha_on_bfi_agreeableness() {
    // R 4.2.2, psych 2.2.9: alpha(bfi[c("A1","A2","A3","A4","A5")], keys = "A1")$total
    //   raw_alpha 0.70301845  std.alpha 0.71302858  G6(smc) 0.68276267  average_r 0.33196766
    // psych's documentation prints the same, rounded: 0.70, 0.71, 0.68, 0.33.
    let (names, cols) = bfi_agreeableness();
    let names = names_of(&names);
    let r = scale_reliability(
        &refs(&cols),
        &all_rows(&cols),
        &names,
        "A",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap();
    assert!(close(r.alpha.raw, 0.70301845, 1e-8));
    assert!(close(r.alpha.std, 0.71302858, 1e-8));
    assert!(close(r.alpha.g6.unwrap(), 0.68276267, 1e-8));
    assert!(close(r.alpha.average_r, 0.33196766, 1e-8));
    // R: omega(bfi[1:5] with A1 -> 7 - A1, nfactors = 1)$omega.tot = 0.7229431365
    // (minres one-factor loadings 0.3741770 0.6786739 0.7537895 0.4803368 0.6147551).
    assert!(
        close(r.omega_total.unwrap(), 0.7229431365, 1e-6),
        "{:?}",
        r.omega_total
    );
    // R: alpha(..., keys = "A1", use = "complete.obs")$total: 0.70375589 0.71350155 0.68317032,
    // nrow(na.omit(...)) = 2709.
    let lw = scale_reliability(
        &refs(&cols),
        &all_rows(&cols),
        &names,
        "A",
        Missing::Listwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap();
    assert_eq!(lw.n, 2709);
    assert!(close(lw.alpha.raw, 0.70375589, 1e-8));
    assert!(close(lw.alpha.std, 0.71350155, 1e-8));
    assert!(close(lw.alpha.g6.unwrap(), 0.68317032, 1e-8));
}

#[test]
fn psych_item_statistics_on_bfi_agreeableness() {
    // R: alpha(bfi[1:5], keys = "A1")$alpha.drop[, "raw_alpha"] and $item.stats[, "r.drop"]
    let alpha_drop = [0.71851736, 0.61718004, 0.60025958, 0.68580565, 0.64295296];
    let r_drop = [0.30841774, 0.56361516, 0.58700459, 0.39444409, 0.48856514];
    let (names, cols) = bfi_agreeableness();
    let names = names_of(&names);
    let cov = PairSums::compute(&refs(&cols), &all_rows(&cols), Missing::Pairwise)
        .covariance("A", &names)
        .unwrap();
    let stats = item_total(&cov, "A", &names).unwrap();
    for (j, s) in stats.iter().enumerate() {
        assert!(
            close(s.alpha_if_deleted.unwrap(), alpha_drop[j], 1e-8),
            "{j}"
        );
        assert!(close(s.r_drop, r_drop[j], 1e-8), "{j}");
    }
}

#[test]
fn one_factor_minres_matches_psych_fa() {
    // R: fa(cor(bfi A1..A5 with A1 reversed, use = "pairwise"), nfactors = 1, fm = "minres")
    let loadings = [
        0.3741769673,
        0.6786739230,
        0.7537895306,
        0.4803368052,
        0.6147551107,
    ];
    let (names, cols) = bfi_agreeableness();
    let names = names_of(&names);
    let sums = PairSums::compute(&refs(&cols), &all_rows(&cols), Missing::Pairwise);
    sums.covariance("A", &names).unwrap();
    let r = sums.pairwise_correlation("A", &names).unwrap();
    let f = one_factor(&r, 5, "A", &names).unwrap();
    for (l, want) in f.loadings.iter().zip(loadings) {
        assert!(close(*l, want, 1e-6), "{:?}", f.loadings);
    }
}

#[test]
fn relative_weights_hand_computation() {
    // Two predictors with r12 = 0.5, r1y = 0.6, r2y = 0.4. By hand:
    // β = R⁻¹ r = [0.6 − 0.5·0.4, 0.4 − 0.5·0.6] / 0.75 = [0.53333, 0.13333]; R² = β·r = 0.37333.
    // R^½ for [[1, a], [a, 1]]: eigenvalues 1 ± a with vectors (1, ±1)/√2, so
    // R^½ = [[p, q], [q, p]], p = (√1.5 + √0.5)/2 = 0.965926, q = (√1.5 − √0.5)/2 = 0.258819.
    // β* = R^−½ r: R^−½ = [[p', q'], [q', p']], p' = (1/√1.5 + 1/√0.5)/2, q' = (1/√1.5 − 1/√0.5)/2.
    // ε_j = Σ_k (R^½)_jk² β*_k²; Σε = R².
    let rxx = [1.0, 0.5, 0.5, 1.0];
    let rxy = [0.6, 0.4];
    let w = relative_weights(&rxx, &rxy, "t", &["x1", "x2"]).unwrap();
    assert!(close(w.beta[0], 0.4 / 0.75, 1e-12) && close(w.beta[1], 0.1 / 0.75, 1e-12));
    assert!(close(w.r_squared, 0.28 / 0.75, 1e-12));
    let (p, q) = (
        (1.5f64.sqrt() + 0.5f64.sqrt()) / 2.0,
        (1.5f64.sqrt() - 0.5f64.sqrt()) / 2.0,
    );
    let (pi, qi) = (
        (1.0 / 1.5f64.sqrt() + 1.0 / 0.5f64.sqrt()) / 2.0,
        (1.0 / 1.5f64.sqrt() - 1.0 / 0.5f64.sqrt()) / 2.0,
    );
    let bs = [pi * 0.6 + qi * 0.4, qi * 0.6 + pi * 0.4];
    let e1 = p * p * bs[0] * bs[0] + q * q * bs[1] * bs[1];
    let e2 = q * q * bs[0] * bs[0] + p * p * bs[1] * bs[1];
    assert!(
        close(w.raw[0], e1, 1e-12) && close(w.raw[1], e2, 1e-12),
        "{:?}",
        w.raw
    );
    assert!(close(w.raw.iter().sum::<f64>(), w.r_squared, 1e-12));
    assert!(close(w.rescaled().iter().sum::<f64>(), 100.0, 1e-9));
    // Uncorrelated predictors: each weight is the squared correlation.
    let w = relative_weights(&[1.0, 0.0, 0.0, 1.0], &rxy, "t", &["x1", "x2"]).unwrap();
    assert!(close(w.raw[0], 0.36, 1e-12) && close(w.raw[1], 0.16, 1e-12));
}

#[test]
fn singular_predictors_are_named() {
    let rxx = [1.0, 1.0, 0.2, 1.0, 1.0, 0.2, 0.2, 0.2, 1.0];
    let err = relative_weights(&rxx, &[0.5, 0.5, 0.1], "drivers of `epl`", &["a", "b", "c"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("singular") && err.contains("a, b") && err.contains("`epl`"),
        "{err}"
    );
}

#[test]
fn degenerate_input_gives_named_errors() {
    let names = ["x", "y", "z"];
    let rows: Vec<u32> = (0..4).collect();
    // zero variance
    let cols = vec![
        vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)],
        vec![Some(3.0); 4],
        vec![Some(2.0), Some(2.0), Some(3.0), Some(5.0)],
    ];
    let err = scale_reliability(
        &refs(&cols),
        &rows,
        &names,
        "dimension `d`",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("dimension `d`") && err.contains("`y`") && err.contains("zero variance"),
        "{err}"
    );
    // one item
    let err = scale_reliability(
        &refs(&cols[..1]),
        &rows,
        &names[..1],
        "d",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("at least 2 items"), "{err}");
    // all missing / fewer than 3 respondents
    let empty = vec![vec![None; 4], vec![None; 4]];
    let err = scale_reliability(
        &refs(&empty),
        &rows,
        &names[..2],
        "d",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("only 0 respondent"), "{err}");
    // two items never answered together
    let apart = vec![
        vec![Some(1.0), Some(2.0), None, None],
        vec![None, None, Some(1.0), Some(3.0)],
    ];
    let err = scale_reliability(
        &refs(&apart),
        &rows,
        &names[..2],
        "d",
        Missing::Pairwise,
        CiMethod::Feldt,
        0.95,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`x` and `y`") && err.contains("0 respondent"),
        "{err}"
    );
    // bad confidence
    let err = scale_reliability(
        &refs(&cols),
        &rows,
        &names,
        "d",
        Missing::Pairwise,
        CiMethod::Feldt,
        1.5,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`confidence`"), "{err}");
}

#[test]
fn bootstrap_ci_is_reproducible_and_brackets_alpha() {
    let (names, cols) = bfi_agreeableness();
    let names = names_of(&names);
    let rows = all_rows(&cols);
    let run = || {
        scale_reliability(
            &refs(&cols),
            &rows,
            &names,
            "A",
            Missing::Pairwise,
            CiMethod::Bootstrap {
                n_boot: 200,
                seed: 7,
            },
            0.95,
        )
        .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.ci, b.ci);
    let (lo, hi) = a.ci.unwrap();
    assert!(
        lo < a.alpha.raw && a.alpha.raw < hi && hi - lo < 0.05,
        "{lo} {hi}"
    );
}

#[test]
fn threaded_sums_equal_single_pass() {
    // 120,000 rows take the multi-threaded path; the covariance must not depend on it.
    let n = 120_000usize;
    let mut rng = SplitMix64::new(3);
    let cols: Vec<Vec<Option<f64>>> = (0..4)
        .map(|_| {
            (0..n)
                .map(|_| {
                    let v = rng.below(5) as f64 * 25.0;
                    (rng.below(10) != 0).then_some(v)
                })
                .collect()
        })
        .collect();
    let rows = all_rows(&cols);
    let whole = PairSums::compute(&refs(&cols), &rows, Missing::Pairwise)
        .covariance("t", &["a", "b", "c", "d"])
        .unwrap();
    let small = PairSums::compute(&refs(&cols), &rows[..40_000], Missing::Pairwise)
        .covariance("t", &["a", "b", "c", "d"])
        .unwrap();
    // Reference by direct pairwise formula on the first 40,000 rows.
    for (j, l) in [(0usize, 1usize), (2, 3), (1, 1)] {
        let pairs: Vec<(f64, f64)> = (0..40_000)
            .filter_map(|r| Some((cols[j][r]?, cols[l][r]?)))
            .collect();
        let m = pairs.len() as f64;
        let (mx, my) = (
            pairs.iter().map(|p| p.0).sum::<f64>() / m,
            pairs.iter().map(|p| p.1).sum::<f64>() / m,
        );
        let c = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / (m - 1.0);
        assert!(close(small.c[j * 4 + l], c, 1e-9));
    }
    assert_eq!(
        whole.n[1],
        (0..n)
            .filter(|&r| cols[0][r].is_some() && cols[1][r].is_some())
            .count() as u64
    );
}

#[test]
fn cfa_matches_lavaan_on_bfi_agreeableness_and_conscientiousness() {
    // R, lavaan 0.6-14, on bfi A1..A5, C1..C5 with A1, C4, C5 reversed (7 − x), complete cases:
    //   f <- cfa('A =~ A1 + A2 + A3 + A4 + A5
    //             C =~ C1 + C2 + C3 + C4 + C5', data = na.omit(d), std.lv = TRUE)
    //   fitMeasures(f, c("chisq","df","pvalue","cfi","tli","rmsea","srmr"))
    //     503.3404648 34 0 0.9134811792 0.8854897960 0.0724205133 0.0460225316
    //   standardizedSolution(f): loadings 0.3699417794 0.6649821032 0.7502051456 0.5024680216
    //     0.6299043966 0.5504124329 0.6177552826 0.5649169387 0.6753545154 0.5952853160;
    //     A ~~ C 0.3349168060; nrow(na.omit(d)) = 2632
    let (names, mut cols) = read_csv("tests/data/bfi_ac.csv");
    for j in [0, 8, 9] {
        for v in cols[j].iter_mut().flatten() {
            *v = 7.0 - *v;
        }
    }
    let names = names_of(&names);
    let sums = PairSums::compute(&refs(&cols), &all_rows(&cols), Missing::Listwise);
    let r = sums.covariance("bfi", &names).unwrap().correlation();
    let factor = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
    let fit = cfa::fit_cfa(&r, sums.rows_complete, &factor, &names, &["A", "C"]).unwrap();
    assert_eq!(fit.n, 2632);
    assert_eq!(fit.chi.df, 34);
    assert!(close(fit.chi.chisq, 503.3404648, 1e-4), "{}", fit.chi.chisq);
    assert!(close(fit.chi.cfi, 0.9134811792, 1e-7), "{}", fit.chi.cfi);
    assert!(close(fit.chi.tli.unwrap(), 0.8854897960, 1e-7));
    assert!(close(fit.chi.rmsea.unwrap(), 0.0724205133, 1e-7));
    assert!(close(fit.srmr, 0.0460225316, 1e-7), "{}", fit.srmr);
    let want = [
        0.3699417794,
        0.6649821032,
        0.7502051456,
        0.5024680216,
        0.6299043966,
        0.5504124329,
        0.6177552826,
        0.5649169387,
        0.6753545154,
        0.5952853160,
    ];
    // lavaan stops at its own convergence tolerance: estimates agree to about 1e-6.
    for (got, want) in fit.loadings.iter().zip(want) {
        assert!(close(*got, want, 5e-6), "{:?}", fit.loadings);
    }
    assert!(close(fit.factor_correlations[1], 0.3349168060, 5e-6));
}

/// The nine tests of `lavaan::HolzingerSwineford1939` per school, as complete-case moments
/// (divisor n), schools in the order lavaan meets them (Pasteur, Grant-White).
fn holzinger_swineford_by_school() -> Vec<invariance::Moments> {
    let text = std::fs::read_to_string("tests/data/holzinger_swineford_1939.csv").unwrap();
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let x = cells[2..].iter().map(|c| c.parse().unwrap()).collect();
        rows.push((cells[1].to_string(), x));
    }
    ["Pasteur", "Grant-White"]
        .iter()
        .map(|school| {
            let xs: Vec<&Vec<f64>> = rows
                .iter()
                .filter(|r| r.0 == *school)
                .map(|r| &r.1)
                .collect();
            let n = xs.len() as f64;
            let mean: Vec<f64> = (0..9)
                .map(|i| xs.iter().map(|x| x[i]).sum::<f64>() / n)
                .collect();
            let mut cov = vec![0.0; 81];
            for x in &xs {
                for i in 0..9 {
                    for j in 0..9 {
                        cov[i * 9 + j] += (x[i] - mean[i]) * (x[j] - mean[j]) / n;
                    }
                }
            }
            invariance::Moments {
                n: xs.len() as u64,
                mean,
                cov,
            }
        })
        .collect()
}

/// lavaan 0.6-14 (R 4.2.2), the tutorial's model on `HolzingerSwineford1939`:
/// `model <- 'visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9'`,
/// `fit <- cfa(model, data, group = "school", group.equal = ...)` with `group.equal` none,
/// `"loadings"`, `c("intercepts", "loadings")`, `c("intercepts", "loadings", "residuals")`;
/// `sprintf("%.12g", fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea",
/// "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "aic", "bic", "logl")))`.
#[test]
fn invariance_steps_match_lavaan_on_holzinger_swineford() {
    use invariance::{fit_model, Freed, Step};
    let groups = holzinger_swineford_by_school();
    let factor = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    // chisq, df, cfi, tli, rmsea, ci low, ci high, srmr, aic, bic, logl
    let want = [
        (
            Step::Configural,
            115.851343876,
            48,
            0.923398380409,
            0.885097570613,
            0.0969148567676,
            0.0745052867747,
            0.119582825882,
            0.0678640117525,
            7484.39502415,
            7706.82164003,
            -3682.19751207,
        ),
        (
            Step::Metric,
            124.04354418,
            54,
            0.920923468577,
            0.894564624769,
            0.0928365358683,
            0.0713961317994,
            0.114411102325,
            0.0716515837898,
            7480.58722445,
            7680.77117875,
            -3686.29361223,
        ),
        (
            Step::Scalar,
            164.102830925,
            60,
            0.882471812681,
            0.858966175217,
            0.107371098089,
            0.0879038594942,
            0.127194379752,
            0.0824470585788,
            7508.6465112,
            7686.5878039,
            -3706.3232556,
        ),
        (
            Step::Strict,
            181.51134523,
            69,
            0.872978915748,
            0.867456259911,
            0.104089126333,
            0.0857749840962,
            0.122681365945,
            0.0882626495432,
            7508.0550255,
            7652.63232583,
            -3715.02751275,
        ),
    ];
    for (step, chisq, df, cfi, tli, rmsea, lo, hi, srmr, aic, bic, logl) in want {
        let fit = fit_model(&groups, &factor, 3, step, &Freed::default(), "HS").unwrap();
        let name = step.name();
        assert_eq!(fit.chi.df, df, "{name}");
        assert!(
            close(fit.chi.chisq, chisq, 1e-5),
            "{name} chisq {}",
            fit.chi.chisq
        );
        assert!(close(fit.chi.cfi, cfi, 1e-8), "{name} cfi {}", fit.chi.cfi);
        assert!(
            close(fit.chi.tli.unwrap(), tli, 1e-8),
            "{name} tli {:?}",
            fit.chi.tli
        );
        assert!(
            close(fit.chi.rmsea.unwrap(), rmsea, 1e-8),
            "{name} rmsea {:?}",
            fit.chi.rmsea
        );
        let (l, h) = fit.chi.rmsea_ci.unwrap();
        // lavaan finds the interval with uniroot (tolerance 1.2e-4 on λ).
        assert!(
            close(l, lo, 1e-6) && close(h, hi, 1e-6),
            "{name} ci {l} {h}"
        );
        // SRMR is first-order in the estimates, which lavaan's nlminb leaves ~1e-6 from the
        // optimum (χ², second-order there, agrees to 1e-9).
        assert!(close(fit.srmr, srmr, 1e-6), "{name} srmr {}", fit.srmr);
        assert!(close(fit.loglik, logl, 1e-5), "{name} logl {}", fit.loglik);
        assert!(
            close(fit.aic, aic, 1e-5) && close(fit.bic, bic, 1e-5),
            "{name} aic/bic"
        );
    }
}

/// Partial scalar invariance on the same data: lavaan's score tests (`lavTestScore(fit)`
/// of the scalar model) point at the intercepts of x3 (χ² 19.19) and x7 (15.02); the
/// model with those two free, `cfa(model, data, group = "school", group.equal =
/// c("intercepts", "loadings"), group.partial = c("x3~1", "x7~1"))`, has χ² 129.422480331
/// on 58 df, CFI 0.919366701437, RMSEA 0.0904555497262 (lavaan 0.6-14). The search frees
/// the same two, in that order, and then accepts the step (ΔCFI −0.0016 from metric).
/// Strict on top of it: `group.equal = c("intercepts", "loadings", "residuals")` with the
/// same `group.partial`.
#[test]
fn partial_scalar_invariance_frees_the_items_lavaans_score_test_names() {
    use invariance::{fit_model, invariance_steps, Criteria, Freed, Outcome, Step};
    let groups = holzinger_swineford_by_school();
    let factor = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    let freed = Freed {
        intercept: vec![2, 6],
        ..Freed::default()
    };
    let fit = fit_model(&groups, &factor, 3, Step::Scalar, &freed, "HS").unwrap();
    assert_eq!(fit.chi.df, 58);
    assert!(
        close(fit.chi.chisq, 129.422480331, 1e-5),
        "{}",
        fit.chi.chisq
    );
    assert!(close(fit.chi.cfi, 0.919366701437, 1e-8));
    assert!(close(fit.chi.rmsea.unwrap(), 0.0904555497262, 1e-8));

    let criteria = Criteria {
        max_cfi_drop: 0.01,
        max_rmsea_rise: Some(0.015),
        min_configural_cfi: 0.9,
    };
    let steps = invariance_steps(&groups, &factor, 3, criteria, "HS").unwrap();
    let outcomes: Vec<Outcome> = steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes[..3],
        [Outcome::Holds, Outcome::Holds, Outcome::Partial]
    );
    assert_eq!(steps[2].freed_here, vec![2, 6]);
    assert!(close(
        steps[2].fit.as_ref().unwrap().chi.chisq,
        129.422480331,
        1e-5
    ));
    // Strict is tested on top of the partial scalar model (x3, x7 intercepts free).
    let strict = steps[3].fit.as_ref().unwrap();
    assert_eq!(strict.freed.intercept, vec![2, 6]);
    // lavaan: the same with group.equal = c("intercepts", "loadings", "residuals"):
    // χ² 147.260454107 on 67 df; ΔCFI −0.0100 from the partial scalar model.
    assert_eq!(strict.chi.df, 67);
    assert!(
        close(strict.chi.chisq, 147.260454107, 1e-5),
        "{}",
        strict.chi.chisq
    );
}

/// Moments of `n` simulated respondents answering `p` items of one factor: loadings and
/// intercepts of the group (a little noise on each), seeded.
fn simulated_group(
    n: usize,
    loadings: &[f64],
    intercepts: &[f64],
    seed: u64,
) -> invariance::Moments {
    let p = loadings.len();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut normal = move || {
        // Box–Muller on a xorshift stream: reproducible, no extra dependency.
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u, v) = (uniform().max(1e-300), uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            let eta = normal();
            (0..p)
                .map(|i| intercepts[i] + loadings[i] * eta + 0.7 * normal())
                .collect()
        })
        .collect();
    let nf = n as f64;
    let mean: Vec<f64> = (0..p)
        .map(|i| rows.iter().map(|r| r[i]).sum::<f64>() / nf)
        .collect();
    let mut cov = vec![0.0; p * p];
    for r in &rows {
        for i in 0..p {
            for j in 0..p {
                cov[i * p + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / nf;
            }
        }
    }
    invariance::Moments {
        n: n as u64,
        mean,
        cov,
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Invariants of the multi-group models, against an independent implementation and
    /// against themselves:
    /// - configural χ² is the sum of the groups' own one-group χ² (means are saturated, and
    ///   ML is scale-free, so each group's χ² is the correlation-matrix fit of `fit_cfa`);
    /// - the nested steps never fit better than the step before;
    /// - a linear rescaling of an item, the same in every group, changes no χ².
    #[test]
    fn invariance_models_keep_their_invariants(
        sizes in proptest::collection::vec(40usize..300, 2..4),
        loadings in proptest::collection::vec(0.5f64..1.5, 4),
        shift in -1.0f64..1.0,
        scale in 0.2f64..5.0,
        seed in 0u64..1_000_000,
    ) {
        use invariance::{fit_model, Freed, Moments, Step};
        let p = loadings.len();
        let groups: Vec<Moments> = sizes
            .iter()
            .enumerate()
            .map(|(g, &n)| {
                let intercepts: Vec<f64> =
                    (0..p).map(|i| 3.0 + if i == 0 { shift * g as f64 } else { 0.0 }).collect();
                simulated_group(n, &loadings, &intercepts, seed + g as u64)
            })
            .collect();
        let factor = vec![0; p];
        let names = ["a", "b", "c", "d"];
        let mut own = 0.0;
        for g in &groups {
            let sd: Vec<f64> = (0..p).map(|i| g.cov[i * p + i].sqrt()).collect();
            let r: Vec<f64> = (0..p * p).map(|ij| g.cov[ij] / (sd[ij / p] * sd[ij % p])).collect();
            own += cfa::fit_cfa(&r, g.n, &factor, &names, &["f"]).unwrap().chi.chisq;
        }
        let fits: Vec<f64> = Step::ALL
            .iter()
            .map(|&s| fit_model(&groups, &factor, 1, s, &Freed::default(), "sim").unwrap().chi.chisq)
            .collect();
        proptest::prop_assert!((fits[0] - own).abs() <= 1e-6 * own.max(1.0), "{} vs {own}", fits[0]);
        for w in fits.windows(2) {
            proptest::prop_assert!(w[1] >= w[0] - 1e-6 * w[0].max(1.0), "{fits:?}");
        }
        // Item 2 in other units (×scale, +10) in every group.
        let rescaled: Vec<Moments> = groups
            .iter()
            .map(|g| {
                let mut m = g.clone();
                m.mean[2] = 10.0 + scale * m.mean[2];
                for j in 0..p {
                    m.cov[2 * p + j] *= scale;
                    m.cov[j * p + 2] *= scale;
                }
                m
            })
            .collect();
        for (s, before) in Step::ALL.iter().zip(&fits) {
            let after = fit_model(&rescaled, &factor, 1, *s, &Freed::default(), "sim").unwrap();
            proptest::prop_assert!((after.chi.chisq - before).abs() <= 1e-6 * before.max(1.0));
        }
    }
}

/// lavaan 0.6-14 (R 4.2.2), the two-factor model of bfi A1–A5, C1–C5 (A1, C4, C5 reversed
/// as 7 − x, complete respondents, N = 2,632) with the items as ordered:
/// `cfa("A =~ A1 + A2 + A3 + A4 + A5; C =~ C1 + C2 + C3 + C4 + C5", data = d,
/// ordered = TRUE, std.lv = TRUE)` (estimator WLSMV); `fitMeasures(f)`,
/// `lavInspect(f, "std")$lambda`, `$psi`.
#[test]
fn ordinal_cfa_matches_lavaans_wlsmv_on_bfi() {
    let (names, cols) = read_csv("tests/data/bfi_ac.csv");
    let complete: Vec<usize> = (0..cols[0].len())
        .filter(|&r| cols.iter().all(|c| c[r].is_some()))
        .collect();
    let codes: Vec<Vec<i16>> = cols
        .iter()
        .enumerate()
        .map(|(j, c)| {
            complete
                .iter()
                .map(|&r| {
                    let v = c[r].unwrap() as i16;
                    if [0, 8, 9].contains(&j) {
                        7 - v
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect();
    let names = names_of(&names);
    let factor = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
    let fit = wls::fit_wlsmv(&codes, &factor, &names, &["A", "C"]).unwrap();
    assert_eq!(fit.n, 2632);
    assert_eq!(fit.standard.df, 34);
    assert!(
        close(fit.standard.chisq, 449.277799196, 1e-4),
        "{}",
        fit.standard.chisq
    );
    assert!(
        close(fit.scaling_factor, 0.764275814964, 1e-7),
        "{}",
        fit.scaling_factor
    );
    assert!(close(fit.shift, 5.64796423636, 1e-5), "{}", fit.shift);
    assert!(
        close(fit.scaled.chisq, 593.495689363, 1e-4),
        "{}",
        fit.scaled.chisq
    );
    assert!(
        close(fit.standard.cfi, 0.974784956914, 1e-7),
        "{}",
        fit.standard.cfi
    );
    assert!(
        close(fit.scaled.cfi, 0.946457614836, 1e-7),
        "{}",
        fit.scaled.cfi
    );
    assert!(close(fit.scaled.tli.unwrap(), 0.92913507846, 1e-7));
    assert!(close(fit.scaled.rmsea.unwrap(), 0.0790857959453, 1e-7));
    let (lo, hi) = fit.scaled.rmsea_ci.unwrap();
    assert!(
        close(lo, 0.073571753837, 1e-6) && close(hi, 0.0847321352853, 1e-6),
        "{lo} {hi}"
    );
    assert!(close(fit.srmr, 0.0506166302711, 1e-7), "{}", fit.srmr);
    let want = [
        0.4081686099,
        0.7222350539,
        0.7868038625,
        0.5699899797,
        0.6756753258,
        0.5948014129,
        0.6635992987,
        0.5928762958,
        0.7220023276,
        0.6436451064,
    ];
    for (got, want) in fit.loadings.iter().zip(want) {
        assert!(close(*got, want, 1e-6), "{got} vs {want}");
    }
    assert!(close(fit.factor_correlations[1], 0.3706650721, 1e-6));
}
