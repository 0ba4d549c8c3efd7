//! Putting named arrays from outside onto a network's parameters.
//!
//! Names are matched, in this order:
//! 1. `--map FROM=TO` ([`Rename`]): the array `FROM` is the parameter `TO`
//!    (`FROM=TO:T` transposes a 2-D array on the way).
//! 2. nn's own names (`affine1.weight`, `bn1.running_var`).
//! 3. The book's names: `Wk` and `bk` are the weight and bias of the k-th
//!    layer that has a weight (affine or convolution, counted from 1 in
//!    network order; DeepConvNet's W1…W8 are its six convolutions and two
//!    affines), `gammak` and `betak` those of the k-th batch norm.
//! 4. Dotted names, as PyTorch's `state_dict` has them (`0.weight`,
//!    `features.3.bias`, `fc1.weight`): grouped by what comes before the
//!    last dot, the groups in natural order (`2` before `10`, `conv1`
//!    before `fc1`), each group onto the next layer with parameters that
//!    no earlier rule filled. In a group, `weight` and `bias` are a batch
//!    norm's γ and β, and a 2-D `weight` going to an affine layer is
//!    PyTorch's `Linear` layout (out, in), transposed into nn's (in, out).
//!
//! Every parameter must receive exactly one array of its shape and every
//! array must be used; all problems are reported together.

use std::collections::BTreeMap;
use std::str::FromStr;

use nn_core::{Float, Shape, Tensor};
use nn_layers::Network;
use nn_model::NetworkSpec;

use crate::array::Array;
use crate::{Error, Result};

/// `FROM=TO` (or `FROM=TO:T` to transpose): the array named `FROM` in the
/// file is the network's parameter `TO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The array's name in the file.
    pub from: String,
    /// The parameter's full name in the network (`affine1.weight`).
    pub to: String,
    /// Transpose the (2-D) array first.
    pub transpose: bool,
}

impl FromStr for Rename {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (from, to) = s
            .split_once('=')
            .filter(|(f, t)| !f.is_empty() && !t.is_empty())
            .ok_or_else(|| format!("`{s}`: expected FROM=TO, e.g. fc.weight=affine1.weight:T"))?;
        let (to, transpose) = match to.strip_suffix(":T") {
            Some(t) => (t, true),
            None => (to, false),
        };
        Ok(Rename {
            from: from.to_string(),
            to: to.to_string(),
            transpose,
        })
    }
}

/// A layer that holds parameters: its name, kind and parameters (local
/// names and shapes).
struct Target {
    name: String,
    kind: String,
    params: Vec<(String, Vec<usize>)>,
}

/// The network's parameters as `spec` would hold them, filled from
/// `weights` by the rules of this module, as float `T`.
///
/// # Errors
/// [`Error::Mismatch`] listing every unmatched array, every parameter
/// left without one and every shape that differs; [`Error::Model`] for a
/// description that does not build.
pub fn fit_weights<T: Float>(
    spec: &NetworkSpec,
    weights: &[(String, Array)],
    renames: &[Rename],
) -> Result<BTreeMap<String, Tensor<T>>> {
    let plan = spec.plan()?;
    let targets: Vec<Target> = spec
        .layer_names()
        .into_iter()
        .zip(&spec.layers)
        .filter_map(|(name, layer)| {
            let prefix = format!("{name}.");
            let params: Vec<(String, Vec<usize>)> = plan
                .params
                .iter()
                .filter_map(|(p, shape)| {
                    Some((p.strip_prefix(&prefix)?.to_string(), shape.clone()))
                })
                .collect();
            (!params.is_empty()).then(|| Target {
                name,
                kind: layer.kind.clone(),
                params,
            })
        })
        .collect();
    let full = |t: &Target, local: &str| format!("{}.{local}", t.name);
    let has = |name: &str| plan.params.iter().any(|(p, _)| p == name);

    let mut problems = Vec::new();
    // parameter → (array name, array, transposed)
    let mut chosen: BTreeMap<String, (String, Array, bool)> = BTreeMap::new();
    let mut used = vec![false; weights.len()];
    let assign = |chosen: &mut BTreeMap<String, (String, Array, bool)>,
                  problems: &mut Vec<String>,
                  to: String,
                  from: &str,
                  a: &Array,
                  t: bool| {
        if let Some((other, _, _)) = chosen.get(&to) {
            problems.push(format!(
                "`{to}` is given twice: by `{other}` and by `{from}`"
            ));
        } else {
            chosen.insert(to, (from.to_string(), a.clone(), t));
        }
    };

    for rename in renames {
        match weights.iter().position(|(n, _)| *n == rename.from) {
            None => problems.push(format!(
                "--map {}: the file has no array `{}`",
                rename.from, rename.from
            )),
            Some(_) if !has(&rename.to) => problems.push(format!(
                "--map {}={}: the network has no parameter `{}`",
                rename.from, rename.to, rename.to
            )),
            Some(i) => {
                used[i] = true;
                assign(
                    &mut chosen,
                    &mut problems,
                    rename.to.clone(),
                    &rename.from,
                    &weights[i].1,
                    rename.transpose,
                );
            }
        }
    }

    let with_weight: Vec<&Target> = targets
        .iter()
        .filter(|t| t.params.iter().any(|(p, _)| p == "weight"))
        .collect();
    let batch_norms: Vec<&Target> = targets.iter().filter(|t| t.kind == "bn").collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (name, array)) in weights.iter().enumerate() {
        if used[i] {
            continue;
        }
        if has(name) {
            used[i] = true;
            assign(&mut chosen, &mut problems, name.clone(), name, array, false);
        } else if let Some((stem, k)) = book_name(name) {
            let (layers, local, what) = match stem {
                "W" => (&with_weight, "weight", "layers with weights"),
                "b" => (&with_weight, "bias", "layers with weights"),
                "gamma" => (&batch_norms, "gamma", "batch norm layers"),
                _ => (&batch_norms, "beta", "batch norm layers"),
            };
            used[i] = true;
            match layers.get(k - 1) {
                Some(t) => assign(
                    &mut chosen,
                    &mut problems,
                    full(t, local),
                    name,
                    array,
                    false,
                ),
                None => problems.push(format!(
                    "`{name}` {}: the network has {} {what}",
                    array.shape_text(),
                    layers.len()
                )),
            }
        } else if let Some((prefix, _)) = name.rsplit_once('.') {
            used[i] = true;
            groups.entry(prefix.to_string()).or_default().push(i);
        }
    }

    let mut group_list: Vec<(String, Vec<usize>)> = groups.into_iter().collect();
    group_list.sort_by_key(|a| natural(&a.0));
    let free: Vec<&Target> = targets
        .iter()
        .filter(|t| {
            !t.params
                .iter()
                .any(|(p, _)| chosen.contains_key(&full(t, p)))
        })
        .collect();
    let mut free = free.into_iter();
    for (prefix, members) in group_list {
        let names: Vec<&str> = members
            .iter()
            .map(|&i| weights[i].0.rsplit_once('.').map_or("", |(_, l)| l))
            .collect();
        let Some(target) = free.next() else {
            problems.push(format!(
                "`{prefix}.*` ({}): no layer with parameters is left for it",
                names.join(", ")
            ));
            continue;
        };
        for (&i, local) in members.iter().zip(&names) {
            let local = match (target.kind.as_str(), *local) {
                ("bn", "weight") => "gamma",
                ("bn", "bias") => "beta",
                (_, l) => l,
            };
            let (from, array) = &weights[i];
            if target.params.iter().any(|(p, _)| p == local) {
                let transpose =
                    target.kind == "affine" && local == "weight" && array.shape.len() == 2;
                assign(
                    &mut chosen,
                    &mut problems,
                    full(target, local),
                    from,
                    array,
                    transpose,
                );
            } else {
                problems.push(format!(
                    "`{from}` {}: group `{prefix}` went to layer {} ({}), which has no `{local}`",
                    array.shape_text(),
                    target.name,
                    target.kind
                ));
            }
        }
    }

    for (i, (name, array)) in weights.iter().enumerate() {
        if !used[i] {
            problems.push(format!(
                "`{name}` {}: no parameter of the network matches this name (use --map {name}=PARAMETER)",
                array.shape_text()
            ));
        }
    }

    let mut state = BTreeMap::new();
    for (param, shape) in &plan.params {
        match chosen.remove(param) {
            None => problems.push(format!(
                "`{param}` {} has no array",
                Shape::from(shape.as_slice())
            )),
            Some((from, array, transpose)) => {
                let array = if transpose { array.transposed() } else { array };
                if array.shape != *shape {
                    let how = if transpose {
                        " (transposed from PyTorch's (out, in))"
                    } else {
                        ""
                    };
                    problems.push(format!(
                        "`{from}` is {}{how}, but `{param}` is {}",
                        array.shape_text(),
                        Shape::from(shape.as_slice())
                    ));
                } else {
                    state.insert(param.clone(), array.to_tensor::<T>());
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(state)
    } else {
        const SHOWN: usize = 40;
        if problems.len() > SHOWN {
            let more = problems.len() - SHOWN;
            problems.truncate(SHOWN);
            problems.push(format!("… and {more} more problems"));
        }
        let listed = |items: Vec<String>| {
            let n = items.len();
            let mut shown: Vec<String> = items.into_iter().take(24).collect();
            if n > 24 {
                shown.push(format!("… {} more", n - 24));
            }
            shown.join(", ")
        };
        problems.push(format!(
            "the file holds: {}",
            listed(
                weights
                    .iter()
                    .map(|(n, a)| format!("{n} {}", a.shape_text()))
                    .collect()
            )
        ));
        problems.push(format!(
            "the network has: {}",
            listed(
                plan.params
                    .iter()
                    .map(|(n, s)| format!("{n} {}", Shape::from(s.as_slice())))
                    .collect()
            )
        ));
        Err(Error::Mismatch { problems })
    }
}

/// The network `spec` describes, with its parameters from `weights` (see
/// [`fit_weights`]).
///
/// ```
/// use nn_interop::{fit_network, Array, Values};
///
/// let spec = nn_model::NetworkSpec::from_toml(
///     "input = [2]\n[[layers]]\nkind = \"affine\"\noutputs = 1\n",
///     "example",
/// )?;
/// // The book's names: W1 and b1 belong to the first layer with weights.
/// let weights = vec![
///     ("W1".to_string(), Array { shape: vec![2, 1], values: Values::F64(vec![0.5, -1.0]) }),
///     ("b1".to_string(), Array { shape: vec![1], values: Values::F64(vec![0.25]) }),
/// ];
/// let mut net = fit_network::<f64>(&spec, &weights, &[])?;
/// let y = net.predict(&ndarray::array![[2.0, 1.0]])?;
/// assert_eq!(y[[0, 0]], 0.5 * 2.0 - 1.0 + 0.25);
/// # Ok::<(), nn_interop::Error>(())
/// ```
///
/// # Errors
/// As [`fit_weights`] and [`NetworkSpec::build`].
pub fn fit_network<T: Float>(
    spec: &NetworkSpec,
    weights: &[(String, Array)],
    renames: &[Rename],
) -> Result<Network<T>> {
    let state = fit_weights::<T>(spec, weights, renames)?;
    let mut net = spec.build::<T>(0)?;
    net.load_state(&state)?;
    Ok(net)
}

/// `W3` → ("W", 3); likewise `b`, `gamma`, `beta`; k ≥ 1.
fn book_name(name: &str) -> Option<(&'static str, usize)> {
    ["gamma", "beta", "W", "b"].into_iter().find_map(|stem| {
        let k: usize = name.strip_prefix(stem)?.parse().ok()?;
        (k >= 1 && !name[stem.len()..].starts_with('+')).then_some((stem, k))
    })
}

/// A sort key that orders digit runs by value: `2` < `10`, `conv2` < `conv10`.
fn natural(s: &str) -> Vec<(u8, u128, String)> {
    let mut key = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        let digit = c.is_ascii_digit();
        let mut run = String::new();
        while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit() == digit) {
            run.push(c);
            chars.next();
        }
        let (order, value) = if digit {
            (0, run.parse().unwrap_or(u128::MAX))
        } else {
            (1, 0)
        };
        key.push((order, value, run));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Values;

    fn array(shape: &[usize]) -> Array {
        let n = shape.iter().product::<usize>();
        Array {
            shape: shape.to_vec(),
            values: Values::F32((0..n).map(|i| i as f32).collect()),
        }
    }

    fn spec(toml: &str) -> NetworkSpec {
        NetworkSpec::from_toml(toml, "test").unwrap()
    }

    const MLP_BN: &str = "input = [4]\n[[layers]]\nkind = \"affine\"\noutputs = 3\n\
        [[layers]]\nkind = \"bn\"\n[[layers]]\nkind = \"relu\"\n\
        [[layers]]\nkind = \"affine\"\noutputs = 2\n";

    #[test]
    fn pytorch_sequential_names_fill_layers_in_order_with_linear_transposed() {
        let weights: Vec<(String, Array)> = [
            ("0.weight", array(&[3, 4])),
            ("0.bias", array(&[3])),
            ("1.weight", array(&[3])),
            ("1.bias", array(&[3])),
            ("1.running_mean", array(&[3])),
            ("1.running_var", array(&[3])),
            ("3.weight", array(&[2, 3])),
            ("3.bias", array(&[2])),
        ]
        .into_iter()
        .map(|(n, a)| (n.to_string(), a))
        .collect();
        let state = fit_weights::<f64>(&spec(MLP_BN), &weights, &[]).unwrap();
        // PyTorch's (3, 4) weight [[0,1,2,3],[4,5,6,7],[8,9,10,11]] transposed.
        assert_eq!(state["affine1.weight"].shape(), &[4, 3]);
        assert_eq!(state["affine1.weight"][[1, 2]], 9.0);
        assert_eq!(state["bn1.gamma"][[2]], 2.0);
        assert_eq!(state["affine2.weight"].shape(), &[3, 2]);
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let weights: Vec<(String, Array)> = [
            ("W1", array(&[4, 3])),
            ("b1", array(&[5])),
            ("W3", array(&[3, 2])),
            ("extra", array(&[1])),
        ]
        .into_iter()
        .map(|(n, a)| (n.to_string(), a))
        .collect();
        let spec = spec(
            "input = [4]\n[[layers]]\nkind = \"affine\"\noutputs = 3\n\
            [[layers]]\nkind = \"relu\"\n[[layers]]\nkind = \"affine\"\noutputs = 2\n",
        );
        let Error::Mismatch { problems } = fit_weights::<f32>(&spec, &weights, &[]).unwrap_err()
        else {
            panic!("not a mismatch")
        };
        assert_eq!(
            problems[..5],
            [
                "`W3` (3, 2): the network has 2 layers with weights",
                "`extra` (1,): no parameter of the network matches this name (use --map extra=PARAMETER)",
                "`b1` is (5,), but `affine1.bias` is (3,)",
                "`affine2.weight` (3, 2) has no array",
                "`affine2.bias` (2,) has no array",
            ]
        );
    }

    #[test]
    fn renames_come_first_and_can_transpose() {
        let weights = vec![
            ("fc.w".to_string(), array(&[3, 4])),
            ("fc.b".to_string(), array(&[3])),
        ];
        let spec = spec("input = [4]\n[[layers]]\nkind = \"affine\"\noutputs = 3\n");
        let renames: Vec<Rename> = ["fc.w=affine1.weight:T", "fc.b=affine1.bias"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let state = fit_weights::<f32>(&spec, &weights, &renames).unwrap();
        assert_eq!(state["affine1.weight"][[3, 0]], 3.0);
        assert!("noequals".parse::<Rename>().is_err());
    }

    #[test]
    fn natural_order_puts_2_before_10() {
        let mut names = vec!["10", "2", "conv10", "conv2", "fc1"];
        names.sort_by_key(|n| natural(n));
        assert_eq!(names, ["2", "10", "conv2", "conv10", "fc1"]);
    }
}
