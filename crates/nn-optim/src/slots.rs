//! Per-parameter optimizer state: K tensors and a step count per name.

use std::collections::HashMap;

use ndarray::ArrayD;
use nn_core::{Float, Shape, Tensor};

use crate::{Error, Result};

/// The state of one parameter: K tensors of its shape and its update count.
#[derive(Debug, Clone)]
pub(crate) struct Slot<T, const K: usize> {
    pub tensors: [ArrayD<T>; K],
    pub steps: u64,
}

/// Lazily created state for each parameter name; `names` names the K tensors
/// (`["m", "v"]` for Adam) in exported state.
#[derive(Debug, Clone)]
pub(crate) struct Slots<T, const K: usize> {
    optimizer: &'static str,
    names: &'static [&'static str; K],
    nonnegative: &'static [&'static str],
    map: HashMap<String, Slot<T, K>>,
}

/// The name of the step counter in exported state.
const STEPS: &str = "t";

impl<T: Float, const K: usize> Slots<T, K> {
    pub fn new(
        optimizer: &'static str,
        names: &'static [&'static str; K],
        nonnegative: &'static [&'static str],
    ) -> Self {
        Slots {
            optimizer,
            names,
            nonnegative,
            map: HashMap::new(),
        }
    }

    /// The state of `name`, created as zeros of `shape` on first use.
    ///
    /// # Errors
    /// [`Error::StateShape`] when existing state has another shape.
    pub fn get(&mut self, name: &str, shape: &[usize]) -> Result<&mut Slot<T, K>> {
        if !self.map.contains_key(name) {
            let tensors = std::array::from_fn(|_| ArrayD::zeros(shape));
            self.map
                .insert(name.to_string(), Slot { tensors, steps: 0 });
        }
        let slot = self.map.get_mut(name).expect("inserted above");
        if let Some((i, t)) = slot
            .tensors
            .iter()
            .enumerate()
            .find(|(_, t)| t.shape() != shape)
        {
            return Err(Error::StateShape {
                optimizer: self.optimizer,
                slot: self.names[i],
                name: name.to_string(),
                state: Shape::from(t.shape()),
                param: Shape::from(shape),
            });
        }
        Ok(slot)
    }

    /// Every tensor as `slot.parameter`, and each step count as a 0-D
    /// `t.parameter`, sorted by name.
    pub fn export(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = Vec::new();
        for (param, slot) in &self.map {
            for (name, t) in self.names.iter().zip(&slot.tensors) {
                out.push((format!("{name}.{param}"), t.clone()));
            }
            out.push((
                format!("{STEPS}.{param}"),
                ndarray::arr0(T::cast(slot.steps as f64)).into_dyn(),
            ));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Replaces the state with exported entries. Shapes are checked against
    /// the parameters at their next update.
    ///
    /// # Errors
    /// [`Error::UnknownState`] for an entry whose slot is not one of `names`;
    /// [`Error::InvalidArgument`] for a value no update could have produced
    /// (a step count that is not a whole number below 2⁵³, a non-finite
    /// value, a negative sum of squares). Nothing is replaced then.
    pub fn import(&mut self, state: Vec<(String, Tensor<T>)>) -> Result<()> {
        let mut map: HashMap<String, Slot<T, K>> = HashMap::new();
        let all_slots: &'static [&'static str] = self.names;
        for (entry, tensor) in state {
            let unknown = || Error::UnknownState {
                optimizer: self.optimizer,
                entry: entry.clone(),
                slots: all_slots,
            };
            let (slot_name, param) = entry.split_once('.').ok_or_else(unknown)?;
            let slot = map.entry(param.to_string()).or_insert_with(|| Slot {
                tensors: std::array::from_fn(|_| ArrayD::zeros(ndarray::IxDyn(&[0]))),
                steps: 0,
            });
            let invalid = |what: String| Error::InvalidArgument {
                op: self.optimizer,
                message: format!("saved state `{entry}` {what}"),
            };
            if slot_name == STEPS {
                let steps = match tensor.as_slice_memory_order() {
                    Some(&[s]) if tensor.ndim() == 0 => s.as_f64(),
                    _ => {
                        return Err(invalid(format!(
                            "must be one number, not {}",
                            Shape::from(tensor.shape())
                        )))
                    }
                };
                if !((0.0..9_007_199_254_740_992.0).contains(&steps) && steps.fract() == 0.0) {
                    return Err(invalid(format!(
                        "must be a whole number of steps below 2^53, got {steps}"
                    )));
                }
                slot.steps = steps as u64;
            } else {
                let i = self
                    .names
                    .iter()
                    .position(|n| *n == slot_name)
                    .ok_or_else(unknown)?;
                if let Some(bad) = tensor.iter().find(|v| !v.is_finite()) {
                    return Err(invalid(format!("holds {bad}")));
                }
                if self.nonnegative.contains(&slot_name) {
                    if let Some(bad) = tensor.iter().find(|v| **v < T::zero()) {
                        return Err(invalid(format!(
                            "holds {bad}, but `{slot_name}` sums squares and cannot be negative"
                        )));
                    }
                }
                slot.tensors[i] = tensor;
            }
        }
        self.map = map;
        Ok(())
    }
}
