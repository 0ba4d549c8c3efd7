//! Affine (fully connected) layer.

use ndarray::{Array1, Array2, Axis, IxDyn};
use nn_core::{
    gemm, init::Init, rng::Rng, Float, Param, ParamKind, Parameters, Recycler, Shape, Tensor,
};

use crate::error::check_shape;
use crate::reshape::reshaped;
use crate::spec::{reconcile, Built, LayerConfig, LayerSpec, Plan};
use crate::{Error, Layer, Mode, Result};

/// The settings of an [`Affine`] layer:
/// `{ kind = "affine", inputs = 784, outputs = 50, init = "he" }`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffineConfig {
    /// Features per input sample; inferred from the input shape when absent
    /// (an image input is flattened: C·H·W).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<usize>,
    /// Output units.
    pub outputs: usize,
    /// How the weights start (fan-in = `inputs`); biases start at 0. Default He.
    #[serde(default)]
    pub init: Init,
}

impl LayerConfig for AffineConfig {
    const KIND: &'static str = "affine";
    const ABOUT: &'static str = "fully connected: Y = X·W + b (any input flattened to (N, -1))";

    fn build<T: Float>(
        &self,
        input: Option<&[usize]>,
        rng: &mut nn_core::rng::ChaCha8Rng,
    ) -> Result<Built<T>> {
        let plan = self.plan(input)?;
        let inputs = plan.params[0].1[0];
        let layer = Affine::init(inputs, self.outputs, self.init, rng)?;
        Ok(Built {
            layer: Box::new(layer),
            output: plan.output,
        })
    }

    fn plan(&self, input: Option<&[usize]>) -> Result<Plan> {
        let provided = match input {
            Some(shape) => Some((crate::spec::size_of(shape)?, shape)),
            None => None,
        };
        let inputs = reconcile("inputs", self.inputs, provided)?;
        Ok(Plan {
            params: vec![
                ("weight", vec![inputs, self.outputs]),
                ("bias", vec![self.outputs]),
            ],
            output: Some(vec![self.outputs]),
        })
    }

    fn example() -> (Self, Vec<usize>) {
        let config = AffineConfig {
            inputs: None,
            outputs: 3,
            init: Init::He,
        };
        (config, vec![2, 2])
    }
}

/// Fully connected layer: Y = X·W + b, with W of shape (in, out) and b of
/// shape (out,).
///
/// Backward, with ∂L/∂Y = G:
/// ∂L/∂X = G·Wᵀ, ∂L/∂W = Xᵀ·G, ∂L/∂b = Σₙ Gₙ (sum over the batch).
///
/// Input of any rank is flattened to (N, −1), as the book's Affine does for
/// image batches; ∂L/∂X comes back in the input's shape. A 1-D input (in,) is a
/// single sample and gives a 1-D output (out,). Parameters: `weight`
/// ([`ParamKind::Weight`]) and `bias`.
#[derive(Debug, Clone)]
pub struct Affine<T: Float> {
    weight: Array2<T>,
    bias: Array1<T>,
    dweight: Array2<T>,
    dbias: Array1<T>,
    has_grad: bool,
    /// How the weights were drawn (He for given weights), for [`Layer::spec`].
    init: Init,
    cache: Option<Cache<T>>,
    /// A replaced cache's input, reused for the next ∂L/∂x (same size).
    spare: Recycler<T>,
}

#[derive(Debug, Clone)]
struct Cache<T> {
    x: Array2<T>,
    input_shape: Vec<usize>,
}

impl<T: Float> Affine<T> {
    /// (N, D) of an input of shape `input_shape`, checked against the weight.
    fn rows_of(&self, input_shape: &[usize]) -> Result<(usize, usize)> {
        let (inputs, outputs) = self.weight.dim();
        let (n, d) = match input_shape {
            [] => (0, 0),
            [d] => (1, *d),
            [n, rest @ ..] => (*n, rest.iter().product()),
        };
        if input_shape.is_empty() || d != inputs {
            return Err(Error::BadInput {
                layer: "Affine",
                got: Shape::from(input_shape),
                expected: format!(
                    "expected {inputs} features per sample for weight of shape ({inputs}, {outputs})"
                ),
            });
        }
        Ok((n, d))
    }

    /// Y = X·W + b: b broadcast over the rows, then Y += X·W in one product.
    fn product(&self, x: ndarray::ArrayView2<'_, T>) -> Result<Array2<T>> {
        let (n, outputs) = (x.nrows(), self.weight.ncols());
        let mut y = self
            .bias
            .broadcast((n, outputs))
            .expect("bias (out,) broadcasts to (n, out)")
            .to_owned();
        gemm(
            T::one(),
            &x,
            &self.weight.view(),
            T::one(),
            &mut y.view_mut(),
        )?;
        Ok(y)
    }

    /// Y as (N, out), or (out,) for a 1-D input.
    fn shaped(y: Array2<T>, input_shape: &[usize]) -> Tensor<T> {
        if input_shape.len() == 1 {
            let outputs = y.ncols();
            reshaped(y.into_dyn(), IxDyn(&[outputs]))
        } else {
            y.into_dyn()
        }
    }

    /// An affine layer with the given weight (in, out) and bias (out,).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the bias length is not the weight's
    /// column count.
    pub fn new(weight: Array2<T>, bias: Array1<T>) -> Result<Self> {
        if bias.len() != weight.ncols() {
            return Err(Error::invalid(
                "Affine::new",
                format!(
                    "bias of shape {} does not fit weight of shape {}: expected ({},)",
                    Shape::from(bias.shape()),
                    Shape::from(weight.shape()),
                    weight.ncols()
                ),
            ));
        }
        Ok(Affine {
            dweight: Array2::zeros(weight.raw_dim()),
            dbias: Array1::zeros(bias.raw_dim()),
            weight,
            bias,
            has_grad: false,
            init: Init::He,
            cache: None,
            spare: Recycler::default(),
        })
    }

    /// An `inputs → outputs` layer with weights drawn by `init` (fan-in =
    /// `inputs`) and zero biases.
    ///
    /// # Errors
    /// As [`Init::sample`].
    pub fn init<R: Rng + ?Sized>(
        inputs: usize,
        outputs: usize,
        init: Init,
        rng: &mut R,
    ) -> Result<Self> {
        let weight = init.sample((inputs, outputs), inputs, rng)?;
        let mut layer = Self::new(weight, Array1::zeros(outputs))?;
        layer.init = init;
        Ok(layer)
    }

    /// W, shape (in, out).
    pub fn weight(&self) -> &Array2<T> {
        &self.weight
    }

    /// b, shape (out,).
    pub fn bias(&self) -> &Array1<T> {
        &self.bias
    }

    /// (∂L/∂W, ∂L/∂b) from the last backward pass.
    pub fn grads(&self) -> Option<(&Array2<T>, &Array1<T>)> {
        self.has_grad.then_some((&self.dweight, &self.dbias))
    }

    fn backward_inner(&mut self, dout: Tensor<T>, need_dx: bool) -> Result<Option<Tensor<T>>> {
        let cache = self
            .cache
            .as_ref()
            .ok_or(Error::NoForward { layer: "Affine" })?;
        let (n, outputs) = (cache.x.nrows(), self.weight.ncols());
        let expected: Vec<usize> = if cache.input_shape.len() == 1 {
            vec![outputs]
        } else {
            vec![n, outputs]
        };
        check_shape("Affine", &expected, dout.shape())?;
        let dout = reshaped(dout, (n, outputs));
        gemm(
            T::one(),
            &cache.x.t(),
            &dout.view(),
            T::zero(),
            &mut self.dweight.view_mut(),
        )?;
        self.dbias = dout.sum_axis(Axis(0));
        self.has_grad = true;
        if !need_dx {
            return Ok(None);
        }
        let dx_len = n * self.weight.nrows();
        let mut dx =
            Array2::from_shape_vec((n, self.weight.nrows()), self.spare.for_input_grad(dx_len))
                .expect("n × in elements");
        gemm(
            T::one(),
            &dout.view(),
            &self.weight.t(),
            T::zero(),
            &mut dx.view_mut(),
        )?;
        Ok(Some(reshaped(dx.into_dyn(), IxDyn(&cache.input_shape))))
    }
}

impl<T: Float> Parameters<T> for Affine<T> {
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        let has_grad = self.has_grad;
        f(Param {
            name: "weight",
            kind: ParamKind::Weight,
            value: self.weight.view_mut().into_dyn(),
            grad: has_grad.then(|| self.dweight.view_mut().into_dyn()),
        });
        f(Param {
            name: "bias",
            kind: ParamKind::Trainable,
            value: self.bias.view_mut().into_dyn(),
            grad: has_grad.then(|| self.dbias.view_mut().into_dyn()),
        });
    }
}

impl<T: Float> Layer<T> for Affine<T> {
    fn kind(&self) -> &'static str {
        AffineConfig::KIND
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&AffineConfig {
            inputs: Some(self.weight.nrows()),
            outputs: self.weight.ncols(),
            init: self.init,
        })
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let input_shape = x.shape().to_vec();
        let (n, d) = self.rows_of(&input_shape)?;
        let x = reshaped(x, (n, d));
        let y = self.product(x.view())?;
        if let Some(old) = self.cache.take() {
            self.spare.keep_input(old.x.into_dyn());
        }
        self.cache = (mode == Mode::Train).then_some(Cache {
            x,
            input_shape: input_shape.clone(),
        });
        Ok(Self::shaped(y, &input_shape))
    }

    /// In [`Mode::Inference`], a row-major `x` is multiplied in place.
    fn forward_view(&mut self, x: ndarray::ArrayViewD<'_, T>, mode: Mode) -> Result<Tensor<T>> {
        if mode == Mode::Train || !x.is_standard_layout() {
            return self.forward(x.to_owned(), mode);
        }
        let input_shape = x.shape().to_vec();
        let (n, d) = self.rows_of(&input_shape)?;
        let rows = x
            .into_shape_with_order((n, d))
            .expect("a row-major array reshapes to (N, D) without copying");
        let y = self.product(rows)?;
        if let Some(old) = self.cache.take() {
            self.spare.keep_input(old.x.into_dyn());
        }
        Ok(Self::shaped(y, &input_shape))
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        let dx = self.backward_inner(dout, true)?;
        Ok(dx.expect("backward_inner returns dx when asked for it"))
    }

    fn backward_params_only(&mut self, dout: Tensor<T>) -> Result<()> {
        self.backward_inner(dout, false).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2, Array4};

    fn layer() -> Affine<f64> {
        Affine::new(
            array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
            array![0.1, 0.2, 0.3],
        )
        .unwrap()
    }

    #[test]
    fn forward_and_backward_worked_by_hand() {
        let mut a = layer();
        let x = array![[1.0, 0.0], [1.0, 1.0]];
        let y = a.forward(x.into_dyn(), Mode::Train).unwrap();
        assert_eq!(y, array![[1.1, 2.2, 3.3], [5.1, 7.2, 9.3]].into_dyn());
        let g = array![[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]];
        let dx = a.backward(g.into_dyn()).unwrap();
        // G·Wᵀ: row 0 = W[:,0] = (1, 4); row 1 = W[:,1] + W[:,2] = (5, 11).
        assert_eq!(dx, array![[1.0, 4.0], [5.0, 11.0]].into_dyn());
        let (dw, db) = a.grads().unwrap();
        // Xᵀ·G = [[1, 1, 1], [0, 1, 1]]; Σ G = (1, 1, 1).
        assert_eq!(dw, array![[1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]);
        assert_eq!(db, array![1.0, 1.0, 1.0]);
    }

    #[test]
    fn single_sample_and_image_batches_keep_their_shapes() {
        let mut a = layer();
        let y = a.forward(array![1.0, 1.0].into_dyn(), Mode::Train).unwrap();
        assert_eq!(y, array![5.1, 7.2, 9.3].into_dyn());
        let dx = a.backward(array![1.0, 0.0, 0.0].into_dyn()).unwrap();
        assert_eq!(dx, array![1.0, 4.0].into_dyn());

        let x = Array4::from_elem((3, 2, 1, 1), 1.0).into_dyn();
        let y = a.forward(x, Mode::Train).unwrap();
        assert_eq!(y.shape(), &[3, 3]);
        let dx = a.backward(Tensor::ones(IxDyn(&[3, 3]))).unwrap();
        assert_eq!(dx.shape(), &[3, 2, 1, 1]);
    }

    #[test]
    fn a_borrowed_input_gives_the_same_output() {
        let x = Array4::from_shape_fn((3, 2, 1, 1), |(n, c, _, _)| (n * 2 + c) as f64).into_dyn();
        let mut a = layer();
        let owned = a.forward(x.clone(), Mode::Inference).unwrap();
        // In place (row-major), and copied (a transposed view).
        assert_eq!(a.forward_view(x.view(), Mode::Inference).unwrap(), owned);
        let base = Array2::from_shape_fn((2, 3), |(c, n)| (n * 2 + c) as f64);
        let xt = base.t().into_dyn();
        assert!(!xt.is_standard_layout());
        assert_eq!(a.forward_view(xt, Mode::Inference).unwrap(), owned);
        // In training mode the view is copied and kept for backward.
        a.forward_view(x.view(), Mode::Train).unwrap();
        assert!(a.backward(Tensor::ones(IxDyn(&[3, 3]))).is_ok());
        assert!(a
            .forward_view(array![1.0, 2.0, 3.0].into_dyn().view(), Mode::Inference)
            .is_err());
    }

    #[test]
    fn params_only_backward_fills_the_same_gradients() {
        let (mut a, mut b) = (layer(), layer());
        let x = array![[0.3, -1.0], [2.0, 0.5]].into_dyn();
        let g = array![[1.0, -2.0, 0.5], [0.0, 1.0, 3.0]].into_dyn();
        a.forward(x.clone(), Mode::Train).unwrap();
        b.forward(x, Mode::Train).unwrap();
        a.backward(g.clone()).unwrap();
        b.backward_params_only(g).unwrap();
        assert_eq!(a.grads(), b.grads());
    }

    #[test]
    fn errors_name_the_shapes() {
        let mut a = layer();
        let err = a
            .forward(array![[1.0, 2.0, 3.0]].into_dyn(), Mode::Train)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Affine.forward: input of shape (1, 3) does not fit: expected 2 features per sample for weight of shape (2, 3)"
        );
        let err = a.backward(array![[1.0, 2.0, 3.0]].into_dyn()).unwrap_err();
        assert!(matches!(err, Error::NoForward { .. }));
        a.forward(array![[1.0, 2.0]].into_dyn(), Mode::Train)
            .unwrap();
        let err = a.backward(array![[1.0, 2.0]].into_dyn()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Affine.backward: gradient of shape (1, 2) does not match the forward output of shape (1, 3)"
        );
        let err = Affine::new(array![[1.0, 2.0]], array![1.0]).unwrap_err();
        assert!(err
            .to_string()
            .contains("bias of shape (1,) does not fit weight of shape (1, 2)"));
    }
}
