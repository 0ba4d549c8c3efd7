//! The optimizers, listed once: the CLI's choices, construction by name and
//! the "every optimizer trains" tests iterate [`optimizers`].

use nn_core::Float;

use crate::{
    AdaGradConfig, AdamConfig, AdamWConfig, Error, MomentumConfig, NesterovConfig, Optim,
    Optimizer, Result, RmsPropConfig, Rule, SgdConfig,
};

/// Every optimizer, in the book's order. Adding one is its file and a line.
pub fn optimizers<T: Float>() -> Vec<OptimizerKind<T>> {
    vec![
        kind::<T, SgdConfig, 0>(),
        kind::<T, MomentumConfig, 1>(),
        kind::<T, NesterovConfig, 1>(),
        kind::<T, AdaGradConfig, 1>(),
        kind::<T, RmsPropConfig, 1>(),
        kind::<T, AdamConfig, 2>(),
        kind::<T, AdamWConfig, 2>(),
    ]
}

/// One entry of [`optimizers`].
#[derive(Debug, Clone, Copy)]
pub struct OptimizerKind<T> {
    /// The display name, e.g. `"RMSprop"`; matched ignoring case.
    pub name: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    /// Its default learning rate.
    pub default_lr: f64,
    build: Build<T>,
}

/// Builds an optimizer with an optional learning rate.
type Build<T> = fn(Option<f64>) -> Result<Box<dyn Optimizer<T>>>;

impl<T> OptimizerKind<T> {
    /// The optimizer with its default settings and learning rate `lr` when
    /// given.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a learning rate that is not > 0.
    pub fn build(&self, lr: Option<f64>) -> Result<Box<dyn Optimizer<T>>> {
        (self.build)(lr)
    }
}

fn kind<T: Float, R: Rule<K>, const K: usize>() -> OptimizerKind<T> {
    OptimizerKind {
        name: R::NAME,
        about: R::ABOUT,
        default_lr: R::default().lr(),
        build: |lr| {
            let mut optimizer = Box::new(Optim::<R, T, K>::new(R::default())?);
            if let Some(lr) = lr {
                optimizer.set_learning_rate(lr)?;
            }
            Ok(optimizer)
        },
    }
}

/// The optimizer called `name` (ignoring case, one of [`optimizers`]) with
/// its default settings, and learning rate `lr` when given.
///
/// ```
/// let adam = nn_optim::by_name::<f32>("adam", None)?;
/// assert_eq!((adam.name(), adam.learning_rate()), ("Adam", 0.001));
/// let err = nn_optim::by_name::<f32>("lion", None).unwrap_err().to_string();
/// assert!(err.contains("unknown optimizer `lion`; expected one of SGD, Momentum"), "{err}");
/// # Ok::<(), nn_optim::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown name or an invalid rate.
pub fn by_name<T: Float>(name: &str, lr: Option<f64>) -> Result<Box<dyn Optimizer<T>>> {
    let all = optimizers::<T>();
    match all.iter().find(|k| k.name.eq_ignore_ascii_case(name)) {
        Some(kind) => kind.build(lr),
        None => Err(Error::InvalidArgument {
            op: "by_name",
            message: format!(
                "unknown optimizer `{name}`; expected one of {}",
                all.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}
