//! `nn`: train, evaluate and inspect the book's networks.
//!
//! `nn --help` lists the commands; `nn <command> --help` explains each.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use nn_data::{digits, fashion_mnist, mnist, Dataset, DigitsConfig, LoadOptions, Remote, Sampling};
use nn_layers::{gradient_check, MultiLayerNet, TwoLayerNet};
use nn_model::{NetworkSpec, BUILTINS};
use nn_train::{
    build_for_data, checkpoint, default_optimizer, evaluate, for_stderr, measure, plot,
    random_batches, Checkpoint, Error, Result, RunDir, TrainConfig, Workload,
};

/// mimalloc keeps freed memory for reuse. With the system allocator every
/// large tensor (SimpleConvNet's inference batch of 1,000 has a 69 MB
/// convolution output) went back to the kernel when freed and was faulted in
/// again, page by page, at the next step: 30% of an inference step in page
/// faults, during which the second thread mostly waited. Measured with
/// `nn bench`, 2 threads: SimpleConvNet inference 9,500 → 23,700 samples/s,
/// DeepConvNet inference 2,560 → 3,770; training unchanged (the layers
/// recycle their own buffers); peak memory of a SimpleConvNet MNIST epoch
/// 280 → 313 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "nn",
    version,
    about = "Deep learning from scratch, in Rust: train the book's networks on MNIST or on built-in digits.",
    after_help = "Start with `nn train`: it trains SimpleConvNet on MNIST (downloaded once if it can be, else on the \
                  built-in digits) and writes the model, its curves and a report into a new folder under runs/."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a network (by default SimpleConvNet on MNIST, else on the built-in digits) into a new run folder.
    Train(Box<TrainArgs>),
    /// Measure a saved network's accuracy on a dataset's test set.
    Eval(EvalArgs),
    /// Read digits from your own pictures (PNG, JPEG) with a saved network.
    Predict(PredictArgs),
    /// Print the truth tables of the perceptron gates and of adders built from NAND.
    Gates,
    Gradcheck(GradcheckArgs),
    /// Measure training or inference speed (samples/s) on random MNIST-shaped data.
    Bench(BenchArgs),
    /// Get datasets.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Turn weights from elsewhere (the book's .pkl files, NumPy .npy/.npz, PyTorch safetensors) into an nn checkpoint.
    Import(ImportArgs),
    /// Write a checkpoint's network as an ONNX model (opset 13) for onnxruntime and other tools.
    Export(ExportArgs),
    /// Network descriptions: the built-in networks, their files, the layer kinds.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// List the built-in networks.
    List,
    /// Print a network's description as a TOML file to copy and edit (`nn model show simple-conv > my.toml`).
    Show {
        /// A built-in network's name or a network file (.toml or .json).
        network: String,
    },
    /// List the kinds of layer a network file can use, with their settings.
    Layers,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Download MNIST or Fashion-MNIST into the data directory, verifying every file.
    Download(DownloadArgs),
}

/// The networks `nn gradcheck` checks, each made small enough to differentiate numerically
/// (these lines are their only description).
#[derive(ValueEnum, Clone, Copy, Debug)]
enum GradcheckModel {
    /// TwoLayerNet 784-50-10, the book's check.
    TwoLayer,
    /// MultiLayerNet 784-20-20-10 with batch norm, dropout 0.2 and weight decay 0.1.
    MultiLayer,
    /// SimpleConvNet with 3 filters 5×5 (weights at He's scale), max-pooling and 10 hidden units.
    SimpleConv,
}

/// How each epoch's mini-batches are drawn.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SamplingName {
    /// Every training sample once per epoch, in a seeded random order.
    Shuffle,
    /// Each index drawn with replacement, as the book's trainer does (np.random.choice).
    Replacement,
}

impl SamplingName {
    fn sampling(self) -> Sampling {
        match self {
            SamplingName::Shuffle => Sampling::Shuffle,
            SamplingName::Replacement => Sampling::Replacement,
        }
    }
}

/// What `--early-stopping` watches.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MonitorName {
    /// The validation loss (lower is better).
    ValLoss,
    /// The validation accuracy (higher is better).
    ValAccuracy,
}

/// A count of at least 1: the option's own rule, also for negative input
/// (clap would otherwise take `-1` for an option and say so).
fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<i128>() {
        Ok(n) if n >= 1 => {
            usize::try_from(n).map_err(|_| format!("must be at most {}, got {s}", usize::MAX))
        }
        Ok(_) => Err(format!("must be ≥ 1, got {s}")),
        Err(_) => Err(format!("must be a whole number ≥ 1, got `{s}`")),
    }
}

/// A finite number above 0.
fn positive_number(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("must be > 0, got {s}")),
        Err(_) => Err(format!("must be a number > 0, got `{s}`")),
    }
}

fn parse_schedule(s: &str) -> std::result::Result<nn_optim::Schedule, String> {
    s.parse().map_err(|e: nn_optim::Error| e.to_string())
}

/// Datasets.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DatasetName {
    /// Built in: 60,000 + 10,000 synthetic digits, generated on the spot (no download).
    Digits,
    /// MNIST handwritten digits (from the data directory; see `nn data download`).
    Mnist,
    /// Zalando's Fashion-MNIST (from the data directory).
    FashionMnist,
}

impl DatasetName {
    fn name(self) -> &'static str {
        match self {
            DatasetName::Digits => "digits",
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
        }
    }
}

/// `--optimizer`'s choices: the registry's names, any case.
fn optimizer_choices() -> PossibleValuesParser {
    PossibleValuesParser::new(nn_optim::optimizers::<f32>().into_iter().map(|k| {
        PossibleValue::new(k.name).help(format!("{} (learning rate {})", k.about, k.default_lr))
    }))
}

#[derive(Args)]
struct Common {
    /// Threads to compute with [default: all the CPUs]. Results are the same for any
    /// number. With fewer than the CPUs, `nn train` gathers the next batch on a spare one.
    #[arg(long)]
    threads: Option<usize>,
    /// Folder holding mnist/ and fashion-mnist/ [default: $NN_DATA_DIR, else a per-user cache folder].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// What `--model` takes, for the help texts.
const MODEL_HELP: &str = "A built-in network (three-layer, two-layer, multi-layer, simple-conv, deep-conv; `nn model list`) \
                          or a network file (.toml or .json; `nn model show NAME > my.toml` writes one to edit)";

#[derive(Args)]
struct TrainArgs {
    #[arg(long, default_value = "simple-conv", long_help = MODEL_HELP, help = "A built-in network or a network file")]
    model: String,
    /// The data to train and test on [default: mnist when it is in the data folder or can be
    /// downloaded now, else the built-in digits, saying why].
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
    /// Never try to download MNIST when it is missing (also NN_OFFLINE=1): train on the
    /// built-in digits instead.
    #[arg(long)]
    offline: bool,
    /// Passes over the training set.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = at_least_one)]
    epochs: usize,
    /// Train for this many mini-batches instead of --epochs epochs (the book's "10,000 iterations").
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_one)]
    iterations: Option<usize>,
    /// Samples per mini-batch.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = at_least_one)]
    batch_size: usize,
    /// How each epoch's mini-batches are drawn from the training set.
    #[arg(long, value_enum, default_value_t = SamplingName::Shuffle)]
    sampling: SamplingName,
    /// Optimizer [default: sgd for two-layer and multi-layer, adam for the conv nets, as in the book].
    #[arg(long, value_parser = optimizer_choices(), ignore_case = true)]
    optimizer: Option<String>,
    /// Learning rate [default: 0.1 with sgd for two-layer/multi-layer, else the optimizer's book default].
    #[arg(long, allow_negative_numbers = true, value_parser = positive_number)]
    lr: Option<f64>,
    /// Seed of the weights and of the mini-batch order (and of the digits data).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Measure train/test accuracy each epoch on this many samples of each (0: all).
    #[arg(long, default_value_t = 10_000)]
    eval_samples: usize,
    /// How the learning rate changes by epoch: constant, step:EVERY:FACTOR, exponential:GAMMA,
    /// cosine:EPOCHS:MIN, or warmup:EPOCHS:<schedule> (e.g. warmup:2:cosine:20:0).
    #[arg(long, default_value = "constant", value_parser = parse_schedule)]
    lr_schedule: nn_optim::Schedule,
    /// Hold this many training samples out as a validation set (seeded), measured after each
    /// epoch: tune and stop on it, never on the test set.
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_one)]
    validation: Option<usize>,
    /// Stop when the validation figure (--monitor) has not improved for this many epochs,
    /// and keep the best epoch's weights. Needs --validation.
    #[arg(long, value_name = "PATIENCE", allow_negative_numbers = true, value_parser = at_least_one)]
    early_stopping: Option<usize>,
    /// What early stopping watches.
    #[arg(long, value_enum, default_value_t = MonitorName::ValLoss)]
    monitor: MonitorName,
    /// Continue the run saved in this checkpoint (its network, optimizer state, epoch count,
    /// data order and settings) up to --epochs epochs in all.
    #[arg(long, value_name = "CHECKPOINT")]
    resume: Option<PathBuf>,
    /// Folder that holds the run folders: each run writes into a new `<model>-<dataset>-<n>/`
    /// there (checkpoint, network.toml, metrics.csv, curves, report) and never into another's.
    #[arg(long, default_value = "runs")]
    runs: PathBuf,
    /// Save the network (safetensors) here instead of in the run folder, after every epoch
    /// and at the end, with the optimizer's state and what --resume needs. Replaces this file.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Do not save the network.
    #[arg(long)]
    no_save: bool,
    /// Save the network even if training diverged (a loss that is not finite or grew past
    /// 1000× its first value), which is otherwise refused.
    #[arg(long)]
    save_anyway: bool,
    /// Draw the loss and accuracy curves (SVG) here instead of in the run folder.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Do not draw the curves.
    #[arg(long)]
    no_plot: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct EvalArgs {
    /// A checkpoint written by `nn train --save` or the checkpoint API; the network is rebuilt from its description.
    #[arg(long)]
    weights: PathBuf,
    /// The test set to measure on [default: the dataset the network was trained on].
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
    /// Also draw the confusion matrix, the most confident mistakes and (for conv nets) the
    /// first layer's filters into this folder (created if needed).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
#[command(
    long_about = "Read digits from your own pictures (PNG, JPEG) with a saved network.

Each picture is prepared as MNIST's digits were: made grey, inverted when its background is light \
(dark ink on paper becomes white on black), cropped to the ink, scaled to fit 20 × 20 keeping its \
proportions, and centred by mass in 28 × 28. One digit per picture, written large and clear, reads best."
)]
struct PredictArgs {
    /// A checkpoint whose network takes 1 × 28 × 28 images or rows of 784 (`nn train` writes one).
    #[arg(long)]
    weights: PathBuf,
    /// The pictures.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
    /// Also write what the network saw (the prepared 28 × 28 digits, side by side) as a PNG.
    #[arg(long, value_name = "PNG")]
    show: Option<PathBuf>,
    /// How many classes to list per picture.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = at_least_one)]
    top: usize,
}

#[derive(Args)]
struct ImportArgs {
    /// The weights: a pickle of NumPy arrays (the book's sample_weight.pkl, params.pkl,
    /// deep_convnet_params.pkl), .npy, .npz, or safetensors (e.g. a PyTorch state_dict).
    file: PathBuf,
    #[arg(long, help = MODEL_HELP)]
    model: String,
    /// Name an array's parameter: FROM=TO, or FROM=TO:T to transpose it (repeatable).
    /// Without it: nn's own names, the book's W1, b1, … (in order onto the layers with weights),
    /// and PyTorch's dotted names (0.weight, fc1.bias, … in order onto the layers with parameters).
    #[arg(long = "map", value_name = "FROM=TO", value_parser = parse_rename)]
    map: Vec<nn_interop::Rename>,
    /// The checkpoint to write (replaced if it exists).
    #[arg(long)]
    save: PathBuf,
    /// The dataset the weights were trained on, recorded for `nn eval`'s default.
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
}

#[derive(Args)]
struct ExportArgs {
    /// The checkpoint (`nn train --save`, `nn import --save`).
    #[arg(long)]
    weights: PathBuf,
    /// The ONNX file to write (replaced if it exists).
    #[arg(long)]
    onnx: PathBuf,
    /// End the model with Softmax: its output is class probabilities instead of scores.
    #[arg(long)]
    softmax: bool,
}

fn parse_rename(s: &str) -> std::result::Result<nn_interop::Rename, String> {
    s.parse()
}

/// Why `nn gradcheck` moves its inputs and biases, for its help.
const GRADCHECK_ABOUT: &str = "Compares back-propagation with central differences (h = 1e-4) in f64, parameter by parameter, \
and exits with status 1 when a difference is above the tolerance.

ReLU and max-pooling have kinks: at 0 for ReLU, at ties for max-pooling. There the two sides' slopes differ, \
back-propagation takes one of them and a central difference averages both, so the two disagree although both are right. \
Digit images are mostly exact zeros and biases start at 0, which puts thousands of ReLU inputs exactly on the kink \
and max-pool windows in exact ties. So the check moves its point away from the kinks: each pixel becomes \
0.5·pixel + 0.5·u with u uniform in [0, 1) and each bias starts at a small random value (±0.05), drawn again \
(seeded) until every ReLU input and every gap between a max-pool window's two largest values is at least 3h, \
farther than one step moves them. The first line says how far the point is from the nearest kink.

Batch norm over very few samples has a large curvature (it divides by their spread), which a central \
difference cannot follow to 1e-7: multi-layer uses 10 samples unless --samples says otherwise.";

#[derive(Args)]
#[command(about = "Compare back-propagation with numerical gradients (the book's gradient_check.py)", long_about = GRADCHECK_ABOUT)]
struct GradcheckArgs {
    /// The network to check.
    #[arg(long, value_enum, default_value_t = GradcheckModel::TwoLayer)]
    model: GradcheckModel,
    /// The largest |backprop − numerical| accepted, relative to the parameter's largest gradient
    /// when that is above 1.
    #[arg(long, default_value_t = 1e-7, value_parser = positive_number)]
    tolerance: f64,
    /// Where the samples come from.
    #[arg(long, value_enum, default_value_t = DatasetName::Digits)]
    dataset: DatasetName,
    /// Samples in the batch [default: 3 as in the book; 10 for multi-layer's batch norm].
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_one)]
    samples: Option<usize>,
    #[command(flatten)]
    common: Common,
}

/// What `nn bench` times.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum WorkloadName {
    /// Training steps: forward, backward and the optimizer's update.
    Train,
    /// Inference: forward only, in inference mode.
    Infer,
}

#[derive(Args)]
struct BenchArgs {
    #[arg(long, default_value = "simple-conv", long_help = MODEL_HELP, help = "A built-in network or a network file")]
    model: String,
    /// Time training steps or inference.
    #[arg(long = "mode", value_enum, default_value_t = WorkloadName::Train)]
    workload: WorkloadName,
    /// Samples per step [default: 100 for train, 1000 for infer].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Optimizer for training steps [default: the book's for the model, as in `nn train`].
    #[arg(long, value_parser = optimizer_choices(), ignore_case = true)]
    optimizer: Option<String>,
    /// Untimed steps first.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Time steps until this many seconds have passed.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Threads to use [default: all the CPUs].
    #[arg(long)]
    threads: Option<usize>,
}

/// The datasets `nn data download` fetches.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RemoteName {
    /// MNIST handwritten digits (4 files, 11 MB).
    Mnist,
    /// Zalando's Fashion-MNIST (4 files, 30 MB).
    FashionMnist,
}

#[derive(Args)]
struct DownloadArgs {
    #[arg(value_enum)]
    dataset: RemoteName,
    /// Folder to download into [default: $NN_DATA_DIR, else a per-user cache folder].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A mirror to try before the built-in ones, serving URL/FILE.gz for each of the four files; repeatable.
    #[arg(long = "mirror", value_name = "URL")]
    mirrors: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command; most succeed or fail, `nn gradcheck` may also report a
/// difference above its tolerance with status 1.
fn run(cli: Cli) -> Result<ExitCode> {
    let done = match cli.command {
        Command::Train(args) => in_pool(args.common.threads, || train_command(&args)),
        Command::Eval(args) => in_pool(args.common.threads, || eval_command(&args)),
        Command::Predict(args) => predict_command(&args),
        Command::Gates => {
            print!("{}", nn_gates::report());
            Ok(())
        }
        Command::Gradcheck(args) => {
            return in_pool(args.common.threads, || gradcheck_command(&args));
        }
        Command::Bench(args) => in_pool(args.threads, || bench_command(&args)),
        Command::Data {
            command: DataCommand::Download(args),
        } => download_command(&args),
        Command::Model { command } => model_command(&command),
        Command::Import(args) => import_command(&args),
        Command::Export(args) => export_command(&args),
    };
    done.map(|()| ExitCode::SUCCESS)
}

fn export_command(args: &ExportArgs) -> Result<()> {
    let checkpoint = Checkpoint::read(&args.weights)?;
    let spec = checkpoint.spec()?;
    let mut net = checkpoint.network::<f32>()?;
    let options = nn_interop::onnx::ExportOptions {
        softmax: args.softmax,
        doc: format!(
            "{} network from {}",
            checkpoint.model_name(),
            args.weights.display()
        ),
    };
    let bytes = nn_interop::onnx::export(&spec, &net.state(), &options)?;
    nn_data::write_atomically(&args.onnx, &bytes)?;
    println!(
        "{}: {} network → {} ({} bytes, ONNX opset {})",
        args.weights.display(),
        checkpoint.model_name(),
        args.onnx.display(),
        bytes.len(),
        nn_interop::onnx::OPSET
    );
    Ok(())
}

fn import_command(args: &ImportArgs) -> Result<()> {
    let spec = nn_model::resolve(&args.model)?;
    let weights = nn_interop::read_weights(&args.file)?;
    let mut net = nn_interop::fit_network::<f32>(&spec, &weights, &args.map)?;
    let mut extra = BTreeMap::from([
        ("model".to_string(), args.model.clone()),
        ("imported_from".to_string(), args.file.display().to_string()),
    ]);
    if let Some(d) = args.dataset {
        extra.insert("dataset".to_string(), d.name().to_string());
    }
    checkpoint::save(&args.save, &mut net, None, &extra)?;
    let values: usize = weights.iter().map(|(_, a)| a.len()).sum();
    println!(
        "{}: {} arrays ({values} values) → {} network, saved to {}",
        args.file.display(),
        weights.len(),
        args.model,
        args.save.display()
    );
    Ok(())
}

fn model_command(command: &ModelCommand) -> Result<()> {
    match command {
        ModelCommand::List => {
            for b in BUILTINS {
                println!("{:<12} {}", b.name, b.about);
            }
        }
        ModelCommand::Show { network } => match nn_model::builtin(network) {
            Some(b) => print!("{}", b.toml),
            None => print!("{}", nn_model::resolve(network)?.to_toml()),
        },
        ModelCommand::Layers => {
            for kind in nn_model::layer_kinds::<f32>() {
                let (example, _) = kind.example();
                let settings = toml_inline(&example);
                println!(
                    "{:<11} {}\n            e.g. {settings}",
                    kind.kind, kind.about
                );
            }
        }
    }
    Ok(())
}

/// A layer description as one TOML inline table, for `nn model layers`.
fn toml_inline(spec: &nn_layers::LayerSpec) -> String {
    let one = NetworkSpec {
        input: None,
        loss: nn_model::Loss::default(),
        weight_decay: 0.0,
        layers: vec![spec.clone()],
    };
    let text = one.to_toml();
    let body: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("[[layers]]"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    format!("{{ {} }}", body.join(", "))
}

/// Runs `f` in a rayon pool of `threads` threads (all CPUs by default).
fn in_pool<R: Send>(threads: Option<usize>, f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(Error::InvalidArgument {
            op: "--threads",
            message: "must be at least 1".into(),
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::InvalidArgument {
            op: "--threads",
            message: e.to_string(),
        })?;
    pool.install(f)
}

fn load(
    name: DatasetName,
    images: bool,
    data_dir: Option<&Path>,
    seed: u64,
) -> Result<Dataset<f32>> {
    let options = if images {
        LoadOptions::images()
    } else {
        LoadOptions::default()
    };
    let dir = nn_data::data_dir(data_dir);
    Ok(match name {
        DatasetName::Digits => digits(
            &DigitsConfig {
                seed,
                ..DigitsConfig::default()
            },
            &options,
        ),
        DatasetName::Mnist => mnist(&dir, &options)?,
        DatasetName::FashionMnist => fashion_mnist(&dir, &options)?,
    })
}

/// The shape of one of a dataset's samples: (C, H, W) for images, (D,) for rows.
fn sample_shape(data: &Dataset<f32>) -> Vec<usize> {
    data.train.images.shape()[1..].to_vec()
}

/// The optimizer `nn train` and `nn bench` use: `chosen`, or the book's for
/// `kind`; the learning rate `lr`, else the book's for that pairing, else the
/// optimizer's default.
fn optimizer_for(
    spec: &NetworkSpec,
    chosen: Option<&str>,
    lr: Option<f64>,
) -> Result<Box<dyn nn_optim::Optimizer<f32>>> {
    let (default_name, default_lr) = default_optimizer(spec);
    let name = chosen.unwrap_or(default_name);
    let lr = lr.or(name
        .eq_ignore_ascii_case(default_name)
        .then_some(default_lr));
    Ok(nn_optim::by_name::<f32>(name, lr)?)
}

/// Checks, before any work, that the outputs can be written: `--save` and
/// `--plot` name different files, and each one's folder exists and takes a
/// new file (a probe is created and removed). Training is not lost to a typo.
fn check_outputs(args: &TrainArgs) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = [
        args.save
            .as_deref()
            .filter(|_| !args.no_save)
            .map(|p| ("--save", p)),
        args.plot
            .as_deref()
            .filter(|_| !args.no_plot)
            .map(|p| ("--plot", p)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if let [(_, save), (_, plot)] = outputs[..] {
        if absolute(save) == absolute(plot) {
            return Err(Error::InvalidArgument {
                op: "nn train",
                message: format!(
                    "--save and --plot both name {}; the curves would replace the network",
                    save.display()
                ),
            });
        }
    }
    for (option, path) in outputs {
        check_writable("nn train", option, path)?;
    }
    // The run folder's parent: it, or the nearest folder above it that
    // exists (where it will be created), must take a new folder.
    let mut root = args.runs.as_path();
    while !root.as_os_str().is_empty() && !root.exists() {
        root = root.parent().unwrap_or(Path::new(""));
    }
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    if !root.is_dir() {
        return Err(Error::InvalidArgument {
            op: "nn train",
            message: format!(
                "--runs {}: {} is not a folder",
                args.runs.display(),
                root.display()
            ),
        });
    }
    let probe = root.join(format!(".nn-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::InvalidArgument {
            op: "nn train",
            message: format!(
                "--runs {}: cannot write in {}: {e}",
                args.runs.display(),
                root.display()
            ),
        }),
    }
}

/// Checks that `option`'s file `path` can be written: its folder exists,
/// it names a file, and the folder takes a new file (a probe is created
/// and removed).
fn check_writable(command: &'static str, option: &str, path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let problem = if !dir.is_dir() {
        Some("the folder does not exist".to_string())
    } else if name.is_none() || path.is_dir() {
        Some("it names a folder, not a file".to_string())
    } else {
        let probe = dir.join(format!(".nn-probe-{}", std::process::id()));
        match std::fs::File::create(&probe) {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
                None
            }
            Err(e) => Some(format!("cannot write in {}: {e}", dir.display())),
        }
    };
    match problem {
        Some(problem) => Err(Error::InvalidArgument {
            op: command,
            message: format!("{option} {}: {problem}", path.display()),
        }),
        None => Ok(()),
    }
}

/// `error`, naming the network file `model` when it is one (a built-in's
/// errors are ours, not the user's).
fn in_network_file(model: &str, error: Error) -> Error {
    if nn_model::builtin(model).is_some() {
        error
    } else {
        Error::InFile {
            origin: model.to_string(),
            source: Box::new(error),
        }
    }
}

/// One MNIST sample's shape for a network: an image or a row.
fn mnist_sample(spec: &NetworkSpec) -> Vec<usize> {
    if spec.takes_images() {
        vec![1, 28, 28]
    } else {
        vec![784]
    }
}

fn bench_command(args: &BenchArgs) -> Result<()> {
    let spec = nn_model::resolve(&args.model)?;
    let workload = match args.workload {
        WorkloadName::Train => Workload::Train,
        WorkloadName::Infer => Workload::Infer,
    };
    let batch = args.batch_size.unwrap_or(workload.default_batch());
    if batch == 0 || !(args.seconds.is_finite() && args.seconds >= 0.0) {
        return Err(Error::InvalidArgument {
            op: "nn bench",
            message: format!(
                "need --batch-size ≥ 1 and --seconds ≥ 0; got {batch} and {}",
                args.seconds
            ),
        });
    }
    let sample = mnist_sample(&spec);
    let mut net = build_for_data::<f32>(&spec, &sample, 10, 0)
        .map_err(|e| in_network_file(&args.model, e))?;
    let mut optimizer = optimizer_for(&spec, args.optimizer.as_deref(), None)?;
    let batches = random_batches::<f32>(&sample, batch, 4, 1)?;
    let opt: Option<&mut dyn nn_optim::Optimizer<f32>> = match workload {
        Workload::Train => Some(optimizer.as_mut()),
        Workload::Infer => None,
    };
    let t = measure(&mut net, opt, workload, &batches, args.warmup, args.seconds)?;
    println!(
        "nn {} {} {}, batch {batch}, {} threads, {} kernel: {} steps in {:.3} s, {:.1} samples/s",
        env!("CARGO_PKG_VERSION"),
        args.model,
        workload.name(),
        rayon::current_num_threads(),
        nn_core::kernels::Kernel::active(),
        t.steps,
        t.seconds,
        t.samples_per_second()
    );
    Ok(())
}

fn train_command(args: &TrainArgs) -> Result<()> {
    check_outputs(args)?;
    let started = Instant::now();
    let resumed = args.resume.as_deref().map(Checkpoint::read).transpose()?;
    let model = match &resumed {
        Some(c) => c.model_name().to_string(),
        None => args.model.clone(),
    };
    let spec = match &resumed {
        Some(c) => c.spec()?,
        None => nn_model::resolve(&args.model)?,
    };
    let dataset = match resumed.as_ref().and_then(|c| c.metadata().get("dataset")) {
        Some(name) => dataset_named(name)?,
        None => match args.dataset {
            Some(d) => d,
            None => default_dataset(args),
        },
    };
    // The built-in digits are generated from the run's seed.
    let seed = resumed
        .as_ref()
        .and_then(|c| c.metadata().get("seed")?.parse().ok())
        .unwrap_or(args.seed);
    let data = load(
        dataset,
        spec.takes_images(),
        args.common.data_dir.as_deref(),
        seed,
    )?;
    let (mut net, mut optimizer, config) = match &resumed {
        Some(checkpoint) => {
            let r = checkpoint.resume::<f32>()?;
            if args.epochs <= r.config.start_epoch {
                return Err(Error::InvalidArgument {
                    op: "--resume",
                    message: format!(
                        "{} has {} epochs done; ask for more with --epochs (got {})",
                        checkpoint.path().display(),
                        r.config.start_epoch,
                        args.epochs
                    ),
                });
            }
            let config = TrainConfig {
                epochs: args.epochs,
                eval_samples: (args.eval_samples > 0).then_some(args.eval_samples),
                early_stopping: early_stopping(args),
                ..r.config
            };
            (r.network, r.optimizer, config)
        }
        None => {
            let net = build_for_data::<f32>(&spec, &sample_shape(&data), data.classes, args.seed)
                .map_err(|e| in_network_file(&args.model, e))?;
            let optimizer = optimizer_for(&spec, args.optimizer.as_deref(), args.lr)?;
            let config = TrainConfig {
                epochs: args.epochs,
                batch_size: args.batch_size,
                seed: args.seed,
                sampling: args.sampling.sampling(),
                max_iterations: args.iterations,
                eval_samples: (args.eval_samples > 0).then_some(args.eval_samples),
                schedule: args.lr_schedule.clone(),
                base_lr: None,
                validation: args.validation,
                early_stopping: early_stopping(args),
                start_epoch: 0,
            };
            (net, optimizer, config)
        }
    };
    let base_lr = config.base_lr.unwrap_or_else(|| optimizer.learning_rate());
    // The book's Fig. 7-24 shows the first filters before and after training.
    let filters_before = resumed
        .is_none()
        .then(|| nn_train::report::first_filters(&mut net))
        .flatten();
    let run = RunDir::create(&args.runs, &model, &data.name)?;
    let save_path = (!args.no_save).then(|| {
        args.save
            .clone()
            .unwrap_or_else(|| run.file("model.safetensors"))
    });
    let plot_path =
        (!args.no_plot).then(|| args.plot.clone().unwrap_or_else(|| run.file("curves.svg")));
    nn_data::write_atomically(&run.file("network.toml"), spec.to_toml().as_bytes())?;
    eprintln!(
        "{} {model} on {} ({} train{}, {} test samples): {} lr {base_lr}{}, batch {}{}, {}, {}",
        if resumed.is_some() {
            "resuming"
        } else {
            "training"
        },
        data.name,
        data.train.len() - config.validation.unwrap_or(0),
        config
            .validation
            .map_or(String::new(), |v| format!(", {v} validation")),
        data.test.len(),
        optimizer.name(),
        match config.schedule {
            nn_optim::Schedule::Constant => String::new(),
            ref s => format!(" ({s})"),
        },
        config.batch_size,
        match config.sampling {
            Sampling::Replacement => " drawn with replacement",
            _ => "",
        },
        match config.max_iterations {
            Some(it) => counted(it, "iteration"),
            None if config.start_epoch > 0 =>
                format!("epochs {} to {}", config.start_epoch + 1, config.epochs),
            None => counted(config.epochs, "epoch"),
        },
        counted(rayon::current_num_threads(), "thread")
    );
    eprintln!("run folder {}", run.path().display());
    let extra = |epochs_done: usize| {
        let mut extra = nn_train::checkpoint::run_metadata(&config, epochs_done, base_lr);
        extra.insert("model".to_string(), model.clone());
        extra.insert("dataset".to_string(), data.name.clone());
        extra
    };
    let mut progress = Watched::new(for_stderr());
    let losses = progress.losses();
    let mut records = Vec::new();
    // After every epoch the metrics are written and the run so far is
    // saved, so that a killed run resumes (--resume) losing at most one
    // epoch; a diverged network is not saved over a good one.
    let mut each_epoch = |net: &mut nn_layers::Network<f32>,
                          opt: &mut dyn nn_optim::Optimizer<f32>,
                          record: &nn_train::EpochRecord| {
        records.push(record.clone());
        nn_data::write_atomically(
            &run.file("metrics.csv"),
            nn_train::run::metrics_csv(&records).as_bytes(),
        )?;
        let healthy = args.save_anyway || nn_train::run::diverged(&lock(&losses)).is_none();
        if let (Some(path), true) = (&save_path, healthy) {
            checkpoint::save(path, net, Some(&*opt), &extra(record.epoch))?;
        }
        Ok(std::ops::ControlFlow::Continue(()))
    };
    let history = nn_train::fit(
        &mut net,
        optimizer.as_mut(),
        &data.train,
        Some(&data.test),
        &config,
        &mut [&mut each_epoch],
        &mut progress,
    )?;
    let test_accuracy = evaluate(&mut net, &data.test, None)?;
    if let (Some(best), Some(stopped)) = (history.best_epoch, history.stopped_at) {
        eprintln!("early stopping after epoch {stopped}: the weights of epoch {best}, the best on validation");
    }
    eprintln!(
        "test accuracy {test_accuracy:.4} on all {} test samples; {:.1}s in all",
        data.test.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &plot_path {
        let title = format!(
            "{model} on {}, {} lr {base_lr}",
            data.name,
            optimizer.name(),
        );
        plot::training_curves(path, &history, &title)?;
        eprintln!("wrote {}", path.display());
    }
    let title = format!("{model} on {}", data.name);
    write_report(run.path(), &mut net, &data, filters_before, &title)?;
    let divergence = nn_train::run::diverged(&history.losses);
    if let (Some(path), Some(why)) = (&save_path, &divergence) {
        if !args.save_anyway {
            return Err(Error::InvalidArgument {
                op: "nn train",
                message: format!(
                    "not saving {}: {why}. Try a smaller --lr; --save-anyway saves it regardless",
                    path.display()
                ),
            });
        }
    }
    if let Some(path) = &save_path {
        let done = config.start_epoch + history.epochs.len();
        let mut extra = extra(done);
        extra.insert("test_accuracy".to_string(), format!("{test_accuracy:.6}"));
        if let Some(best) = history.best_epoch {
            extra.insert("best_epoch".to_string(), best.to_string());
        }
        checkpoint::save(path, &mut net, Some(optimizer.as_ref()), &extra)?;
        eprintln!("saved {}", path.display());
    }
    Ok(())
}

/// Writes the report's pictures into `dir` and says where.
fn write_report(
    dir: &Path,
    net: &mut nn_layers::Network<f32>,
    data: &Dataset<f32>,
    filters_before: Option<nn_core::Tensor<f32>>,
    title: &str,
) -> Result<()> {
    let names = (data.name == "fashion-mnist").then_some(&nn_data::FASHION_MNIST_CLASSES[..]);
    let written = nn_train::report::write(
        dir,
        nn_train::report::ReportInput {
            net,
            test: &data.test,
            classes: data.classes,
            class_names: names,
            filters_before,
            title: title.to_string(),
        },
    )?;
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .collect();
    eprintln!("report: {} in {}", names.join(", "), dir.display());
    Ok(())
}

/// A lock that a panicked holder does not poison for us (the losses stay valid).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Passes progress on and keeps every mini-batch's loss, for the check
/// that a diverged network is not saved.
struct Watched {
    inner: Box<dyn nn_train::Progress + Send>,
    losses: std::sync::Arc<std::sync::Mutex<Vec<f64>>>,
}

impl Watched {
    fn new(inner: Box<dyn nn_train::Progress + Send>) -> Self {
        Watched {
            inner,
            losses: std::sync::Arc::default(),
        }
    }

    fn losses(&self) -> std::sync::Arc<std::sync::Mutex<Vec<f64>>> {
        std::sync::Arc::clone(&self.losses)
    }
}

impl nn_train::Progress for Watched {
    fn start_epoch(&mut self, epoch: usize, epochs: usize, batches: usize) {
        self.inner.start_epoch(epoch, epochs, batches);
    }

    fn batch(&mut self, done: usize, loss: f64, samples_per_second: f64) {
        lock(&self.losses).push(loss);
        self.inner.batch(done, loss, samples_per_second);
    }

    fn end_epoch(&mut self, record: &nn_train::EpochRecord) {
        self.inner.end_epoch(record);
    }
}

/// Whether `NN_OFFLINE` asks for no downloads (set, and not `0` or empty).
fn offline_by_environment() -> bool {
    std::env::var_os("NN_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether the data folder holds MNIST's four files (as `.gz` or not).
fn mnist_present(dir: &Path) -> bool {
    let folder = dir.join(Remote::Mnist.folder());
    nn_data::FILES
        .iter()
        .all(|name| nn_data::locate(&folder, name, "mnist").is_ok())
}

/// `nn train`'s dataset when none is named: MNIST if it is in the data
/// folder or one download attempt gets it, else the built-in digits, with
/// one line saying why and how to get the real set.
fn default_dataset(args: &TrainArgs) -> DatasetName {
    let dir = nn_data::data_dir(args.common.data_dir.as_deref());
    if mnist_present(&dir) {
        return DatasetName::Mnist;
    }
    let how = format!(
        "`nn data download mnist` gets it (into {}), or point --data-dir or NN_DATA_DIR at a folder holding mnist/",
        dir.display()
    );
    if args.offline || offline_by_environment() {
        eprintln!(
            "MNIST is not in {} and downloads are off: training on the built-in synthetic digits instead; {how}",
            dir.join("mnist").display()
        );
        return DatasetName::Digits;
    }
    eprintln!(
        "MNIST is not in {}: downloading it once (--offline skips this)",
        dir.join("mnist").display()
    );
    let mut report = nn_train::DownloadBar::bars_only();
    match nn_data::download(
        Remote::Mnist,
        &dir,
        &[],
        nn_data::Timeouts::QUICK,
        &mut report,
    ) {
        Ok(_) => DatasetName::Mnist,
        Err(e) => {
            let reason = match &e {
                nn_data::Error::Download { file, attempts, .. } => format!(
                    "no mirror delivered {file} ({})",
                    attempts.first().map_or("", |(_, why)| why.as_str())
                ),
                other => other.to_string(),
            };
            eprintln!(
                "could not download MNIST, {reason}: training on the built-in synthetic digits instead; {how}"
            );
            DatasetName::Digits
        }
    }
}

fn early_stopping(args: &TrainArgs) -> Option<nn_train::EarlyStopping> {
    args.early_stopping.map(|patience| nn_train::EarlyStopping {
        monitor: match args.monitor {
            MonitorName::ValLoss => nn_train::Monitor::ValidationLoss,
            MonitorName::ValAccuracy => nn_train::Monitor::ValidationAccuracy,
        },
        patience,
        min_delta: 0.0,
    })
}

/// The dataset a checkpoint names in its metadata.
fn dataset_named(name: &str) -> Result<DatasetName> {
    DatasetName::value_variants()
        .iter()
        .copied()
        .find(|d| d.name() == name)
        .ok_or_else(|| Error::InvalidArgument {
            op: "--resume",
            message: format!("the checkpoint was trained on `{name}`, which nn does not know"),
        })
}

/// "1 epoch", "20 epochs": a count and its noun, for the training header.
/// (`nn bench` keeps "N threads" whatever N is: its line is laid out like the
/// PyTorch script's.)
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn eval_command(args: &EvalArgs) -> Result<()> {
    let checkpoint = Checkpoint::read(&args.weights)?;
    let spec = checkpoint.spec()?;
    let mut net = checkpoint.network::<f32>()?;
    if let Some(name) = nn_train::first_non_finite(&mut net) {
        eprintln!(
            "warning: {}: `{name}` holds NaN or infinite values, so the accuracy below means nothing",
            args.weights.display()
        );
    }
    let model = checkpoint.model_name().to_string();
    let trained_on = checkpoint.metadata().get("dataset").map(String::as_str);
    if let (Some(asked), Some(trained)) = (args.dataset, trained_on) {
        if asked.name() != trained {
            eprintln!(
                "warning: {} was trained on {trained}, not {}: expect a lower accuracy than on {trained}",
                args.weights.display(),
                asked.name()
            );
        }
    }
    let dataset = match (args.dataset, trained_on) {
        (Some(d), _) => d,
        (None, Some("mnist")) => DatasetName::Mnist,
        (None, Some("fashion-mnist")) => DatasetName::FashionMnist,
        (None, _) => DatasetName::Digits,
    };
    let seed = checkpoint
        .metadata()
        .get("seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let data = load(
        dataset,
        spec.takes_images(),
        args.common.data_dir.as_deref(),
        seed,
    )?;
    let accuracy = evaluate(&mut net, &data.test, None)?;
    println!(
        "{}: {model} network, test accuracy on {} {accuracy:.4} ({} samples)",
        args.weights.display(),
        dataset.name(),
        data.test.len()
    );
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).map_err(|e| Error::Run {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        let title = format!("{model} on {}", data.name);
        write_report(dir, &mut net, &data, None, &title)?;
    }
    Ok(())
}

fn predict_command(args: &PredictArgs) -> Result<()> {
    let checkpoint = Checkpoint::read(&args.weights)?;
    let spec = checkpoint.spec()?;
    let mut net = checkpoint.network::<f32>()?;
    let shape: Vec<usize> = match spec.input.as_deref() {
        Some([784]) => vec![784],
        Some([1, 28, 28]) => vec![1, 28, 28],
        other => {
            return Err(Error::InvalidArgument {
                op: "nn predict",
                message: format!(
                    "{} takes input {}, not MNIST's 1 × 28 × 28 or 784",
                    args.weights.display(),
                    other.map_or("of no stated shape".to_string(), |s| format!("{s:?}"))
                ),
            })
        }
    };
    if let Some(show) = &args.show {
        check_writable("nn predict", "--show", show)?;
    }
    let names = (checkpoint.metadata().get("dataset").map(String::as_str) == Some("fashion-mnist"))
        .then_some(&nn_data::FASHION_MNIST_CLASSES[..]);
    let mut seen = Vec::new();
    for path in &args.images {
        let (grey, w, h) = nn_train::picture::read_grey(path)?;
        let digit = nn_data::prepare::mnist_style(&grey, w, h).map_err(|e| Error::Picture {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut batch_shape = vec![1];
        batch_shape.extend(&shape);
        let x = ndarray::ArrayD::from_shape_vec(batch_shape, digit.clone())
            .expect("784 values for a 784-value shape");
        let top = net.top_k(&x, args.top.min(10))?;
        let classes: Vec<String> = top[0]
            .iter()
            .map(|&(class, p)| {
                let name = names
                    .and_then(|n| n.get(class))
                    .map_or_else(|| class.to_string(), |s| s.to_string());
                format!("{name} ({:.1}%)", 100.0 * f64::from(p))
            })
            .collect();
        println!("{}: {}", path.display(), classes.join(", "));
        seen.push(digit);
    }
    if let Some(show) = &args.show {
        nn_train::picture::write_seen(show, &seen)?;
        eprintln!("wrote what the network saw to {}", show.display());
    }
    Ok(())
}

fn gradcheck_command(args: &GradcheckArgs) -> Result<ExitCode> {
    let kind = args.model;
    let samples = args.samples.unwrap_or(match kind {
        GradcheckModel::MultiLayer => 10,
        _ => 3,
    });
    let options = if matches!(kind, GradcheckModel::SimpleConv) {
        LoadOptions::images()
    } else {
        LoadOptions::default()
    };
    let dir = nn_data::data_dir(args.common.data_dir.as_deref());
    let data: Dataset<f64> = match args.dataset {
        DatasetName::Digits => digits(
            &DigitsConfig {
                train: samples,
                test: 1,
                seed: 0,
            },
            &options,
        ),
        DatasetName::Mnist => mnist(&dir, &options)?,
        DatasetName::FashionMnist => fashion_mnist(&dir, &options)?,
    };
    let batch = data.train.take(samples);
    let mut net = match kind {
        GradcheckModel::TwoLayer => TwoLayerNet::default().build::<f64>(0)?,
        GradcheckModel::MultiLayer => MultiLayerNet {
            hidden_sizes: vec![20, 20],
            batch_norm: true,
            dropout: Some(0.2),
            weight_decay: 0.1,
            ..MultiLayerNet::default()
        }
        .build(0)?,
        GradcheckModel::SimpleConv => nn_conv::SimpleConvNet {
            filter_num: 3,
            hidden_size: 10,
            // He's scale for 5×5 filters, not the book's 0.01: it spreads
            // the ReLU inputs 30-fold, so a draw with no kink near is found.
            weight_init_std: (2.0_f64 / 25.0).sqrt(),
            ..Default::default()
        }
        .build(0)?,
    };
    let (images, margin) = away_from_kinks(&mut net, &batch.images)?;
    println!(
        "{} on {} {} samples, moved {margin:.1e} from the nearest kink (see --help), f64: max |backprop − numerical| per parameter",
        kind.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string()),
        samples,
        data.name
    );
    if margin < KINK_MARGIN {
        println!(
            "  (no draw put every kink {KINK_MARGIN:.0e} away; differences may come from one)"
        );
    }
    let report = gradient_check(&mut net, &images, &batch.labels)?;
    net.set_fixed_masks(false);
    let mut above = Vec::new();
    for diff in &report {
        let allowed = args.tolerance * diff.max_abs_grad.max(1.0);
        if diff.max_abs_diff > allowed {
            above.push(diff.name.clone());
        }
        println!("  {diff}");
    }
    let worst = report.iter().fold(0.0_f64, |m, d| m.max(d.max_abs_diff));
    if above.is_empty() {
        println!(
            "largest difference {worst:.2e}: every parameter within {:e}",
            args.tolerance
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "largest difference {worst:.2e}: ABOVE the tolerance {:e} for {}",
            args.tolerance,
            above.join(", ")
        );
        Ok(ExitCode::FAILURE)
    }
}

/// How far every kink must be from the check's point: 10 steps h. A step
/// moves a ReLU input or a pooled value by about h times an input of at
/// most 1, so 10·h keeps each central difference on one side of each kink.
const KINK_MARGIN: f64 = 3.0 * nn_core::NUMERICAL_H;

/// Moves a gradient check's point off the kinks of ReLU and max-pooling
/// (see [`GRADCHECK_ABOUT`]): pixels 0.5·x + 0.5·u, biases ±0.05,
/// drawn again (up to 200 times) until every ReLU input and every max-pool
/// window's gap between its two largest values is at least [`KINK_MARGIN`].
/// Returns the moved images and the margin reached.
fn away_from_kinks(
    net: &mut nn_layers::Network<f64>,
    images: &nn_core::Tensor<f64>,
) -> Result<(nn_core::Tensor<f64>, f64)> {
    use nn_core::rng::{seeded, uniform01};
    let mut state = net.state();
    let mut draw = |attempt: u64, net: &mut nn_layers::Network<f64>| -> Result<_> {
        let mut rng = seeded(attempt);
        let moved = images.mapv(|x| 0.5 * x + 0.5 * uniform01(&mut rng));
        for (name, value) in &mut state {
            if name.ends_with(".bias") {
                value.mapv_inplace(|_| 0.1 * uniform01(&mut rng) - 0.05);
            }
        }
        net.load_state(&state)?;
        Ok(moved)
    };
    let mut best = (0, f64::NEG_INFINITY);
    for attempt in 0..200 {
        let moved = draw(attempt, net)?;
        let margin = kink_margin(net, &moved)?;
        if margin > best.1 {
            best = (attempt, margin);
        }
        if margin >= KINK_MARGIN {
            break;
        }
    }
    // Drawn again, with its masks kept (fixed) for the check itself.
    let moved = draw(best.0, net)?;
    let margin = kink_margin(net, &moved)?;
    Ok((moved, margin))
}

/// The distance of the point `x` from the nearest kink: the smallest |input|
/// of a ReLU and the smallest gap between a max-pool window's two largest
/// values. Dropout masks are drawn here and then kept fixed.
fn kink_margin(net: &mut nn_layers::Network<f64>, x: &nn_core::Tensor<f64>) -> Result<f64> {
    net.set_fixed_masks(true);
    let names: Vec<String> = net.layers().names().map(str::to_string).collect();
    let mut x = x.clone();
    let mut margin = f64::INFINITY;
    for name in names {
        let layer = net
            .layers_mut()
            .get_mut(&name)
            .expect("the name was just listed");
        let spec = layer.spec();
        if spec.kind == "relu" {
            margin = margin.min(x.iter().fold(f64::INFINITY, |m, v| m.min(v.abs())));
        } else if spec.kind == "pool" {
            let config: nn_conv::PoolingConfig = serde_json::from_value(serde_json::Value::Object(
                spec.settings.clone(),
            ))
            .map_err(|e| Error::InvalidArgument {
                op: "nn gradcheck",
                message: e.to_string(),
            })?;
            if config.op == nn_conv::PoolKind::Max {
                margin = margin.min(pool_tie_gap(&x, &config));
            }
        }
        x = layer.forward(x, nn_layers::Mode::Train)?;
    }
    Ok(margin)
}

/// The smallest gap between the two largest values of a max-pool window
/// over (N, C, H, W) input `x` (padding counts as windows without it);
/// windows whose two largest values are both exactly 0 do not count.
fn pool_tie_gap(x: &nn_core::Tensor<f64>, config: &nn_conv::PoolingConfig) -> f64 {
    let [fh, fw] = config.size;
    let stride = config.stride.unwrap_or(fh).max(1);
    let (h, w) = match *x.shape() {
        [_, _, h, w] => (h, w),
        _ => return f64::INFINITY,
    };
    let mut gap = f64::INFINITY;
    for plane in x.exact_chunks(ndarray::IxDyn(&[1, 1, h, w])) {
        let plane = plane
            .into_shape_with_order((h, w))
            .expect("one (H, W) plane");
        for i in (0..=(h + 2 * config.pad).saturating_sub(fh)).step_by(stride) {
            for j in (0..=(w + 2 * config.pad).saturating_sub(fw)).step_by(stride) {
                let (mut first, mut second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
                for a in i..i + fh {
                    for b in j..j + fw {
                        let (Some(r), Some(c)) =
                            (a.checked_sub(config.pad), b.checked_sub(config.pad))
                        else {
                            continue;
                        };
                        let Some(&v) = plane.get((r, c)) else {
                            continue;
                        };
                        if v > first {
                            second = first;
                            first = v;
                        } else if v > second {
                            second = v;
                        }
                    }
                }
                // Zeros tied after a ReLU stay tied under a step (the
                // ReLU inputs' own margin is checked): not a kink.
                if second.is_finite() && !(first == 0.0 && second == 0.0) {
                    gap = gap.min(first - second);
                }
            }
        }
    }
    gap
}

fn download_command(args: &DownloadArgs) -> Result<()> {
    let (remote, name) = match args.dataset {
        RemoteName::Mnist => (Remote::Mnist, DatasetName::Mnist),
        RemoteName::FashionMnist => (Remote::FashionMnist, DatasetName::FashionMnist),
    };
    let dir = nn_data::data_dir(args.data_dir.as_deref());
    eprintln!(
        "downloading {} into {}",
        remote.folder(),
        dir.join(remote.folder()).display()
    );
    let mut report = nn_train::DownloadBar::for_stderr();
    nn_data::download(
        remote,
        &dir,
        &args.mirrors,
        nn_data::Timeouts::PATIENT,
        &mut report,
    )?;
    eprintln!(
        "done; train with `nn train --dataset {} --data-dir {}`",
        name.name(),
        dir.display()
    );
    Ok(())
}
