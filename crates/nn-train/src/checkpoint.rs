//! Checkpoints in safetensors, the format PyTorch and the Rust ML crates share.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use nn_core::{Float, Parameters, Shape, Tensor};
use nn_layers::Network;
use nn_model::NetworkSpec;
use nn_optim::Optimizer;
use safetensors::{tensor::TensorView, Dtype, SafeTensors};

use crate::{Error, Result, TrainConfig};

/// Value of the `format` metadata key. Version 2 carries the network's
/// description ([`NETWORK_KEY`]); version 1 files (per-model keys) are not
/// read.
pub const FORMAT: &str = "nn-checkpoint-2";
/// The metadata key of the network's description, as JSON
/// ([`NetworkSpec::to_json`]).
pub const NETWORK_KEY: &str = "network";
/// Prefix of the optimizer's state tensors.
pub const OPTIMIZER_PREFIX: &str = "optimizer.";
/// Prefix of the metadata keys holding each dropout layer's random stream
/// position (`random_state.dropout1`), so a resumed run draws the same masks.
pub const RANDOM_STATE_PREFIX: &str = "random_state.";
/// The largest checkpoint [`Checkpoint::read`] reads: 4 GiB.
pub const MAX_CHECKPOINT_BYTES: u64 = 4 << 30;
/// The most values one layer of a network read from a checkpoint may give
/// per sample (2²⁸): a bound on what evaluating it can allocate, far above
/// any network of the book (DeepConvNet's largest is 16·28·28 = 12,544).
pub const MAX_SAMPLE_VALUES: usize = 1 << 28;

/// Writes `net` to `path` as safetensors: every parameter and batch-norm
/// statistic under its stable name (`affine1.weight`, `bn1.running_mean`),
/// the optimizer's state under `optimizer.<slot>.<parameter>` when one is
/// given, and in the metadata the network's description
/// ([`NETWORK_KEY`]: every layer's kind and settings, so that any network of
/// registered layers is rebuilt, including one assembled in Rust), `format`,
/// `dtype`, the optimizer's name and learning rate, and `extra` (such as
/// `model`, the name shown by `nn eval`). The file is written to a temporary name and
/// renamed, so a crash never leaves a half-written checkpoint.
///
/// # Errors
/// [`Error::Checkpoint`] if serialisation fails, [`Error::Data`] for I/O.
pub fn save<T: Float>(
    path: &Path,
    net: &mut Network<T>,
    optimizer: Option<&dyn Optimizer<T>>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    if let Some(name) = crate::first_non_finite(net) {
        return Err(Error::checkpoint(
            path,
            format!("not saved: `{name}` holds NaN or infinite values (training diverged)"),
        ));
    }
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let bytes_of = |t: ndarray::ArrayViewD<'_, T>| {
        let mut out = Vec::with_capacity(t.len() * T::BYTES);
        t.iter().for_each(|&v| v.write_le(&mut out));
        out
    };
    net.visit_params(&mut |p| {
        tensors.push((
            p.name.to_string(),
            p.value.shape().to_vec(),
            bytes_of(p.value.view()),
        ))
    });
    let mut metadata: HashMap<String, String> = extra.clone().into_iter().collect();
    for (layer, state) in net.random_states() {
        metadata.insert(format!("{RANDOM_STATE_PREFIX}{layer}"), state.to_string());
    }
    metadata.insert(NETWORK_KEY.into(), NetworkSpec::describe(net).to_json());
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("dtype".into(), T::DTYPE.to_lowercase());
    if let Some(opt) = optimizer {
        metadata.insert("optimizer".into(), opt.name().into());
        metadata.insert("learning_rate".into(), opt.learning_rate().to_string());
        for (name, t) in opt.state() {
            tensors.push((
                format!("{OPTIMIZER_PREFIX}{name}"),
                t.shape().to_vec(),
                bytes_of(t.view()),
            ));
        }
    }
    let dtype = if T::BYTES == 4 {
        Dtype::F32
    } else {
        Dtype::F64
    };
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            Ok((name.as_str(), TensorView::new(dtype, shape.clone(), bytes)?))
        })
        .collect::<std::result::Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| Error::checkpoint(path, format!("cannot serialise: {e}")))?;
    let bytes = safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::checkpoint(path, format!("cannot serialise: {e}")))?;
    let bytes = sort_metadata(bytes)
        .map_err(|e| Error::checkpoint(path, format!("cannot serialise: {e}")))?;
    nn_data::write_atomically(path, &bytes)?;
    Ok(())
}

/// Rewrites the header of a serialised safetensors file with its metadata in
/// key order, so the same network gives the same bytes (safetensors writes
/// the metadata map in hash order). The header keeps its length, so the
/// tensors' offsets are unchanged.
fn sort_metadata(mut bytes: Vec<u8>) -> std::result::Result<Vec<u8>, String> {
    let len: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or("no header")?;
    let len = usize::try_from(u64::from_le_bytes(len)).map_err(|e| e.to_string())?;
    let end = len
        .checked_add(8)
        .filter(|&e| e <= bytes.len())
        .ok_or("header past the end")?;
    let text = std::str::from_utf8(&bytes[8..end]).map_err(|e| e.to_string())?;
    let trimmed = text.trim_end();
    let mut header: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| e.to_string())?;
    if let Some(serde_json::Value::Object(map)) = header.get_mut("__metadata__") {
        let sorted: BTreeMap<String, serde_json::Value> = std::mem::take(map).into_iter().collect();
        *map = sorted.into_iter().collect();
    }
    let out = serde_json::to_string(&header).map_err(|e| e.to_string())?;
    if out.len() != trimmed.len() {
        return Err(format!(
            "the sorted header has {} bytes where the original had {}",
            out.len(),
            trimmed.len()
        ));
    }
    bytes[8..8 + out.len()].copy_from_slice(out.as_bytes());
    Ok(bytes)
}

/// The metadata [`Checkpoint::resume`] reads back: the settings of `config`
/// that decide what the next epochs do, and `epochs_done`. Merge it into
/// the `extra` of [`save`], with the optimizer's state.
pub fn run_metadata(
    config: &TrainConfig,
    epochs_done: usize,
    base_lr: f64,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("epochs".to_string(), epochs_done.to_string()),
        ("batch_size".to_string(), config.batch_size.to_string()),
        ("seed".to_string(), config.seed.to_string()),
        (
            "sampling".to_string(),
            match config.sampling {
                nn_data::Sampling::Replacement => "replacement",
                _ => "shuffle",
            }
            .to_string(),
        ),
        ("lr_schedule".to_string(), config.schedule.to_string()),
        ("base_lr".to_string(), base_lr.to_string()),
    ]);
    if let Some(v) = config.validation {
        m.insert("validation".to_string(), v.to_string());
    }
    if let Some(it) = config.max_iterations {
        m.insert("max_iterations".to_string(), it.to_string());
    }
    m
}

/// A run read back from a checkpoint by [`Checkpoint::resume`].
pub struct Resumed<T: Float> {
    /// The network as it was after the last epoch saved.
    pub network: Network<T>,
    /// The optimizer with its state.
    pub optimizer: Box<dyn Optimizer<T>>,
    /// The run's settings, `start_epoch` at the epochs done (and `epochs`
    /// equal to it: set the total wanted).
    pub config: TrainConfig,
}

/// A checkpoint read from disk.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    path: PathBuf,
    metadata: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

impl Checkpoint {
    /// Reads and validates a safetensors file.
    ///
    /// # Errors
    /// [`Error::Io`] when unreadable; [`Error::Checkpoint`] when it is not a
    /// safetensors file, or has no network description in its metadata.
    pub fn read(path: &Path) -> Result<Checkpoint> {
        use nn_core::ReadRefused;
        let bytes = nn_core::read_bounded(path, MAX_CHECKPOINT_BYTES).map_err(|e| match e {
            ReadRefused::Io(source) => Error::Io {
                path: path.to_path_buf(),
                source,
            },
            ReadRefused::NotRegular => Error::checkpoint(
                path,
                "is not a regular file (a device or a pipe), so it is not read".to_string(),
            ),
            ReadRefused::TooLarge(Some(len)) => Error::checkpoint(
                path,
                format!(
                    "is {len} bytes; nn reads checkpoints of at most {MAX_CHECKPOINT_BYTES} bytes"
                ),
            ),
            ReadRefused::TooLarge(None) => Error::checkpoint(
                path,
                format!("grew past {MAX_CHECKPOINT_BYTES} bytes while it was read"),
            ),
        })?;
        Self::from_bytes(path, bytes)
    }

    /// A checkpoint from bytes already in memory; `path` names it in errors.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when the bytes are not a safetensors file with a
    /// network description.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Checkpoint> {
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| Error::checkpoint(path, format!("not a safetensors file: {e}")))?;
        SafeTensors::deserialize(&bytes)
            .map_err(|e| Error::checkpoint(path, format!("not a safetensors file: {e}")))?;
        let metadata: BTreeMap<String, String> = header
            .metadata()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        if !metadata.contains_key(NETWORK_KEY) {
            return Err(Error::checkpoint(
                path,
                format!(
                    "has no `{NETWORK_KEY}` description in its metadata, so the network it holds is unknown \
                     (it was written by another tool, or by nn before checkpoint format 2)"
                ),
            ));
        }
        Ok(Checkpoint {
            path: path.to_path_buf(),
            metadata,
            bytes,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The metadata: the network's description and what else was saved.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The network's description.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when it is not a valid description.
    pub fn spec(&self) -> Result<NetworkSpec> {
        let origin = format!("{} (metadata `{NETWORK_KEY}`)", self.path.display());
        Ok(NetworkSpec::from_json(
            &self.metadata[NETWORK_KEY],
            &origin,
        )?)
    }

    /// How the network wants its data loaded: images (N, C, H, W) for a
    /// network that starts with a convolution, rows (N, 784) otherwise;
    /// pixels in [0, 1] either way.
    ///
    /// # Errors
    /// As [`Checkpoint::spec`].
    pub fn load_options(&self) -> Result<nn_data::LoadOptions> {
        Ok(if self.spec()?.takes_images() {
            nn_data::LoadOptions::images()
        } else {
            nn_data::LoadOptions::default()
        })
    }

    /// A name for the network: the `model` it was trained as (a built-in
    /// name or a file), else "custom".
    pub fn model_name(&self) -> &str {
        self.metadata.get("model").map_or("custom", String::as_str)
    }

    fn tensors(&self) -> SafeTensors<'_> {
        SafeTensors::deserialize(&self.bytes).expect("validated by Checkpoint::read")
    }

    fn decode<T: Float>(&self, name: &str, view: &TensorView<'_>) -> Result<Tensor<T>> {
        let values: Vec<T> = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|b| T::cast(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
                .collect(),
            Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .map(|b| T::cast(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                .collect(),
            other => {
                return Err(Error::checkpoint(
                    &self.path,
                    format!("tensor `{name}` has dtype {other:?}; nn reads F32 and F64"),
                ))
            }
        };
        Ok(Tensor::from_shape_vec(ndarray::IxDyn(view.shape()), values)
            .expect("safetensors checked the length"))
    }

    /// Copies the checkpoint's values into `net`, after checking that every
    /// parameter is there with the right shape and nothing else is.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] listing every name and shape that differs.
    pub fn restore<T: Float>(&self, net: &mut Network<T>) -> Result<()> {
        let mut expected = Vec::new();
        net.visit_params(&mut |p| expected.push((p.name.to_string(), p.value.shape().to_vec())));
        self.check_fit(&expected)?;
        let st = self.tensors();
        let mut values = BTreeMap::new();
        for (name, _) in &expected {
            let view = st.tensor(name).expect("checked above");
            values.insert(name.clone(), self.decode::<T>(name, &view)?);
        }
        net.visit_params(&mut |mut p| p.value.assign(&values[p.name]));
        let mut states: BTreeMap<String, nn_layers::RandomState> = BTreeMap::new();
        for (key, value) in &self.metadata {
            if let Some(layer) = key.strip_prefix(RANDOM_STATE_PREFIX) {
                let state = value
                    .parse::<nn_layers::RandomState>()
                    .map_err(|e| Error::checkpoint(&self.path, format!("metadata `{key}`: {e}")))?;
                states.insert(layer.to_string(), state);
            }
        }
        net.set_random_states(&states)
            .map_err(|e| Error::checkpoint(&self.path, format!("its random states: {e}")))?;
        Ok(())
    }

    /// What continuing the run saved here needs: the network (parameters,
    /// statistics and dropout streams), the optimizer (rebuilt by the name
    /// saved, with its default settings and the run's base rate, then its
    /// saved state), and the training settings with `start_epoch` at the
    /// epochs done. Set `epochs` to the total wanted and call
    /// [`fit`](crate::fit): the result is the same, bit for bit, as an
    /// uninterrupted run's.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when the file was not written by a training run
    /// (no `epochs`, `batch_size` or `optimizer` in its metadata) or holds no
    /// optimizer state; as [`Checkpoint::network`].
    pub fn resume<T: Float>(&self) -> Result<Resumed<T>> {
        let meta = |key: &str| {
            self.metadata.get(key).ok_or_else(|| {
                Error::checkpoint(
                    &self.path,
                    format!("has no `{key}` in its metadata, so it cannot be resumed (was it written by a training run?)"),
                )
            })
        };
        let parse = |key: &str| -> Result<f64> {
            meta(key)?.parse().map_err(|_| {
                Error::checkpoint(&self.path, format!("metadata `{key}` is not a number"))
            })
        };
        let count = |key: &str| -> Result<usize> {
            meta(key)?.parse().map_err(|_| {
                Error::checkpoint(&self.path, format!("metadata `{key}` is not a count"))
            })
        };
        let config = TrainConfig {
            batch_size: count("batch_size")?,
            seed: meta("seed")?.parse().map_err(|_| {
                Error::checkpoint(
                    &self.path,
                    "metadata `seed` is not a whole number".to_string(),
                )
            })?,
            sampling: match meta("sampling")?.as_str() {
                "replacement" => nn_data::Sampling::Replacement,
                _ => nn_data::Sampling::Shuffle,
            },
            schedule: meta("lr_schedule")?.parse()?,
            base_lr: Some(parse("base_lr")?),
            validation: self
                .metadata
                .get("validation")
                .map(|_| count("validation"))
                .transpose()?,
            max_iterations: self
                .metadata
                .get("max_iterations")
                .map(|_| count("max_iterations"))
                .transpose()?,
            start_epoch: count("epochs")?,
            epochs: count("epochs")?,
            ..TrainConfig::default()
        };
        let network = self.network::<T>()?;
        let state = self.optimizer_state::<T>()?;
        if state.is_empty() {
            return Err(Error::checkpoint(
                &self.path,
                "holds no optimizer state, so training cannot continue exactly".to_string(),
            ));
        }
        let mut optimizer = nn_optim::by_name::<T>(meta("optimizer")?, config.base_lr)?;
        optimizer.load_state(state)?;
        Ok(Resumed {
            network,
            optimizer,
            config,
        })
    }

    /// Every parameter `expected` (names and shapes) is in the checkpoint with
    /// its shape, and the checkpoint holds nothing else but optimizer state.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] listing every name and shape that differs.
    fn check_fit(&self, expected: &[(String, Vec<usize>)]) -> Result<()> {
        let st = self.tensors();
        let mut problems = Vec::new();
        for (name, shape) in expected {
            match st.tensor(name) {
                Ok(view) if view.shape() != shape.as_slice() => problems.push(format!(
                    "{name} is {} in the checkpoint but {} in the network",
                    Shape::from(view.shape()),
                    Shape::from(shape.as_slice())
                )),
                Ok(_) => {}
                Err(_) => problems.push(format!(
                    "{name} {} is missing from the checkpoint",
                    Shape::from(shape.as_slice())
                )),
            }
        }
        for (name, view) in st.iter() {
            if !name.starts_with(OPTIMIZER_PREFIX) && !expected.iter().any(|(n, _)| n == name) {
                problems.push(format!(
                    "{name} {} is not in the network",
                    Shape::from(view.shape())
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::checkpoint(
                &self.path,
                format!("does not fit the network: {}", problems.join("; ")),
            ))
        }
    }

    /// The network described by the metadata, with the checkpoint's values.
    ///
    /// # Errors
    /// As [`Checkpoint::spec`], [`NetworkSpec::build`] and
    /// [`Checkpoint::restore`].
    pub fn network<T: Float>(&self) -> Result<Network<T>> {
        let spec = self.spec()?;
        // The description's claims are checked against the file's own
        // tensors before anything is allocated: a parameter can be no larger
        // than the bytes that hold it, and no layer's output may exceed
        // MAX_SAMPLE_VALUES per sample.
        let in_description = |e: nn_model::Error| {
            Error::checkpoint(&self.path, format!("its network description: {e}"))
        };
        let plan = spec.plan().map_err(in_description)?;
        self.check_fit(&plan.params)?;
        if let Some((i, output)) = plan.output_above(MAX_SAMPLE_VALUES) {
            return Err(Error::checkpoint(
                &self.path,
                format!(
                    "its network description: layer {} ({}) gives {} values per sample; \
                     nn evaluates at most {MAX_SAMPLE_VALUES}",
                    i + 1,
                    spec.layers[i].kind,
                    Shape::from(output)
                ),
            ));
        }
        let mut net = spec.build(0).map_err(in_description)?;
        self.restore(&mut net)?;
        Ok(net)
    }

    /// The optimizer state saved with the network (empty if none), ready for
    /// [`Optimizer::load_state`].
    ///
    /// # Errors
    /// [`Error::Checkpoint`] for a tensor of an unreadable dtype.
    pub fn optimizer_state<T: Float>(&self) -> Result<Vec<(String, Tensor<T>)>> {
        let st = self.tensors();
        let mut state = Vec::new();
        for (name, view) in st.iter() {
            if let Some(rest) = name.strip_prefix(OPTIMIZER_PREFIX) {
                state.push((rest.to_string(), self.decode(name, &view)?));
            }
        }
        state.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(state)
    }
}
