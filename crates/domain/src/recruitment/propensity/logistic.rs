//! Logistic regression fitted by Newton's method (iteratively reweighted least
//! squares) with a small ridge penalty, and the rank AUC.

/// A fitted logistic regression on standardised features.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// Bias first, then one weight per feature.
    pub weights: Vec<f64>,
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Ridge penalty on the mean log loss (not on the bias); keeps weights finite when a
/// feature separates the classes or two features say the same thing.
const RIDGE: f64 = 1e-3;
const MAX_STEPS: usize = 30;

impl Model {
    /// Fits by Newton's method on the mean log loss plus `RIDGE/2·|w|²`, from zero
    /// weights: deterministic, and converged in a few passes over the rows.
    pub fn fit<R: AsRef<[f64]>>(x: &[R], y: &[bool]) -> Model {
        let k = x.first().map_or(0, |r| r.as_ref().len());
        let n = x.len().max(1) as f64;
        let mut mean = vec![0.0; k];
        let mut scale = vec![1.0; k];
        for j in 0..k {
            mean[j] = x.iter().map(|r| r.as_ref()[j]).sum::<f64>() / n;
            let var = x.iter().map(|r| (r.as_ref()[j] - mean[j]).powi(2)).sum::<f64>() / n;
            scale[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
        }
        let d = k + 1;
        let mut w = vec![0.0; d];
        let mut z = vec![0.0; d];
        z[0] = 1.0;
        for _ in 0..MAX_STEPS {
            let mut grad = vec![0.0; d];
            let mut hess = vec![0.0; d * d];
            for (r, &label) in x.iter().zip(y) {
                for j in 0..k {
                    z[j + 1] = (r.as_ref()[j] - mean[j]) / scale[j];
                }
                let p = sigmoid(z.iter().zip(&w).map(|(a, b)| a * b).sum());
                let err = p - if label { 1.0 } else { 0.0 };
                let v = (p * (1.0 - p)).max(1e-9);
                for a in 0..d {
                    grad[a] += err * z[a];
                    let va = v * z[a];
                    for b in a..d {
                        hess[a * d + b] += va * z[b];
                    }
                }
            }
            for a in 0..d {
                grad[a] = grad[a] / n + if a == 0 { 0.0 } else { RIDGE * w[a] };
                for b in a..d {
                    let h = hess[a * d + b] / n + if a == b && a > 0 { RIDGE } else { 0.0 };
                    hess[a * d + b] = h;
                    hess[b * d + a] = h;
                }
                if a == 0 {
                    hess[0] += 1e-9;
                }
            }
            let Some(step) = solve(hess, grad, d) else { break };
            let mut biggest: f64 = 0.0;
            for a in 0..d {
                w[a] -= step[a];
                biggest = biggest.max(step[a].abs());
            }
            if biggest < 1e-9 {
                break;
            }
        }
        Model { mean, scale, weights: w }
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        let z: f64 = self.weights[0] + x.iter().enumerate().map(|(j, v)| (v - self.mean[j]) / self.scale[j] * self.weights[j + 1]).sum::<f64>();
        sigmoid(z)
    }
}

/// Solves `a·x = b` (a is d×d, row-major) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, d: usize) -> Option<Vec<f64>> {
    for col in 0..d {
        let pivot = (col..d).max_by(|&i, &j| a[i * d + col].abs().total_cmp(&a[j * d + col].abs()))?;
        if a[pivot * d + col].abs() < 1e-14 {
            return None;
        }
        if pivot != col {
            for j in 0..d {
                a.swap(pivot * d + j, col * d + j);
            }
            b.swap(pivot, col);
        }
        for i in col + 1..d {
            let f = a[i * d + col] / a[col * d + col];
            if f != 0.0 {
                for j in col..d {
                    a[i * d + j] -= f * a[col * d + j];
                }
                b[i] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; d];
    for i in (0..d).rev() {
        let s: f64 = (i + 1..d).map(|j| a[i * d + j] * x[j]).sum();
        x[i] = (b[i] - s) / a[i * d + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Area under the ROC curve by the rank method (ties get their average rank):
/// `(sum of positive ranks − P(P+1)/2) / (P·N)`. `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        sum += idx[i..=j].iter().filter(|&&k| labels[k]).count() as f64 * avg;
        i = j + 1;
    }
    Some((sum - (pos as f64 * (pos as f64 + 1.0)) / 2.0) / (pos as f64 * neg as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_ranks_matches_hand_computed_cases() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        assert_eq!(auc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.1, 0.2], &[false, false, true, true]), Some(0.0));
        // A tie between a positive and a negative counts a half.
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.2, 0.5, 0.5, 0.7], &[false, true, false, true]), Some(0.875));
        assert_eq!(auc(&[0.2, 0.3], &[true, true]), None);
    }

    #[test]
    fn newton_recovers_the_weights_of_a_known_logistic_law() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut x = vec![];
        let mut y = vec![];
        for _ in 0..20_000 {
            let xi: f64 = rng.gen_range(-2.0..2.0);
            x.push([xi]);
            y.push(rng.gen::<f64>() < sigmoid(-1.0 + 2.0 * xi));
        }
        let m = Model::fit(&x, &y);
        let slope = m.weights[1] / m.scale[0];
        let bias = m.weights[0] - m.weights[1] * m.mean[0] / m.scale[0];
        assert!((slope - 2.0).abs() < 0.12, "slope {slope}");
        assert!((bias + 1.0).abs() < 0.1, "bias {bias}");
    }

    #[test]
    fn separable_data_and_constant_features_keep_weights_finite() {
        let x: Vec<[f64; 2]> = (0..100).map(|i| [i as f64, 1.0]).collect();
        let y: Vec<bool> = (0..100).map(|i| i >= 50).collect();
        let m = Model::fit(&x, &y);
        assert!(m.weights.iter().all(|w| w.is_finite()));
        assert!(m.predict(&[90.0, 1.0]) > 0.9 && m.predict(&[10.0, 1.0]) < 0.1);
    }
}
