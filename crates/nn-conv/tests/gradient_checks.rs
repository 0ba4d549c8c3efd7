//! Back-propagation against numerical gradients in f64 (≤ 1e-7) for the
//! convolution and pooling layers and both book conv nets, and bit-identical
//! results on 1 and 2 threads.

use ndarray::IxDyn;
use nn_conv::{Convolution, DeepConvNet, Pooling, SimpleConvNet};
use nn_core::{init::gaussian, init::Init, rng::seeded, Parameters, Tensor};
use nn_layers::{check_layer, gradient_check, GradientDiff};

const TOLERANCE: f64 = 1e-7;

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    gaussian(IxDyn(shape), 1.0, &mut seeded(seed)).unwrap()
}

fn assert_all_close(what: &str, report: &[GradientDiff]) {
    assert!(!report.is_empty());
    for diff in report {
        assert!(
            diff.max_abs_diff <= TOLERANCE,
            "{what}: {diff} exceeds {TOLERANCE:e}"
        );
    }
}

/// (input shape, filters, kernel, stride, pad)
type ConvCase = (&'static [usize], usize, [usize; 2], usize, usize);

#[test]
fn convolution_over_strides_pads_kernels_and_channels() {
    // (input shape, filters, kernel, stride, pad)
    // Stride 1 runs as an implicit GEMM (∂L/∂x as a transposed convolution
    // while the padding is below the kernel size, by col2im otherwise); other
    // strides build im2col. ∂L/∂W is read in runs for few filters and a
    // small kernel, through the transposed gradient otherwise (the last case).
    let cases: [ConvCase; 9] = [
        (&[2, 1, 6, 6], 3, [3, 3], 1, 0),
        (&[2, 3, 5, 7], 4, [3, 3], 1, 1),
        (&[1, 2, 7, 5], 2, [3, 2], 2, 1),
        (&[2, 2, 6, 8], 3, [1, 4], 1, 0),
        (&[1, 3, 9, 6], 2, [5, 3], 2, 2),
        (&[3, 1, 5, 5], 2, [2, 2], 3, 0),
        (&[2, 4, 4, 4], 5, [3, 3], 1, 2),
        (&[2, 2, 5, 4], 3, [3, 1], 1, 1),
        (&[2, 8, 6, 6], 16, [3, 3], 1, 1),
    ];
    for (i, (shape, filters, kernel, stride, pad)) in cases.into_iter().enumerate() {
        let seed = 100 + i as u64;
        let conv = Convolution::init(
            shape[1],
            filters,
            kernel,
            stride,
            pad,
            Init::He,
            &mut seeded(seed),
        )
        .unwrap();
        let mut conv = conv;
        let report = check_layer(&mut conv, &random(shape, seed), seed).unwrap();
        assert_all_close(
            &format!("Convolution {shape:?} k{kernel:?} s{stride} p{pad}"),
            &report,
        );
        assert_eq!(report.len(), 3, "input, bias, weight");
    }
    // A single (C, H, W) sample.
    let mut conv = Convolution::init(2, 3, [3, 3], 1, 1, Init::He, &mut seeded(9)).unwrap();
    assert_all_close(
        "Convolution single",
        &check_layer(&mut conv, &random(&[2, 5, 4], 9), 9).unwrap(),
    );
}

#[test]
fn max_and_average_pooling() {
    for (i, (shape, window, stride, pad)) in [
        (vec![2, 3, 6, 6], [2, 2], 2, 0),
        (vec![1, 2, 7, 5], [3, 2], 2, 1),
        (vec![2, 1, 5, 5], [3, 3], 1, 1),
        (vec![3, 4, 5], [2, 2], 1, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 200 + i as u64;
        let x = random(&shape, seed);
        let mut max = Pooling::max(window[0], window[1], stride, pad).unwrap();
        assert_all_close(
            &format!("max pool {shape:?}"),
            &check_layer(&mut max, &x, seed).unwrap(),
        );
        let mut avg = Pooling::average(window[0], window[1], stride, pad).unwrap();
        assert_all_close(
            &format!("avg pool {shape:?}"),
            &check_layer(&mut avg, &x, seed).unwrap(),
        );
    }
}

fn small_simple_conv_net() -> SimpleConvNet {
    SimpleConvNet {
        input_dim: [1, 10, 10],
        filter_num: 4,
        filter_size: 3,
        hidden_size: 6,
        output_size: 3,
        weight_init_std: 0.3,
        ..SimpleConvNet::default()
    }
}

#[test]
fn simple_conv_net() {
    let mut net = small_simple_conv_net().build::<f64>(300).unwrap();
    let x = random(&[3, 1, 10, 10], 301);
    let report = gradient_check(&mut net, &x, &[0, 2, 1]).unwrap();
    assert_all_close("SimpleConvNet", &report);
    assert_eq!(report.len(), 6);
}

#[test]
fn deep_conv_net_shaped() {
    // The book's six convolutions, three poolings and dropout, with fewer
    // filters and a 12×12 input: 12 → 12 → 12 → 6 → 6 → 8 → 4 → 4 → 4 → 2.
    let spec = DeepConvNet {
        input_dim: [1, 12, 12],
        filters: [2, 2, 3, 3, 4, 4],
        hidden_size: 5,
        output_size: 3,
        dropout: 0.5,
    };
    let mut net = spec.build::<f64>(400).unwrap();
    let x = random(&[2, 1, 12, 12], 401);
    let report = gradient_check(&mut net, &x, &[1, 2]).unwrap();
    assert_all_close("DeepConvNet", &report);
    assert_eq!(report.len(), 16);
}

#[test]
fn bit_identical_on_one_and_two_threads() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut net = SimpleConvNet::default().build::<f32>(7).unwrap();
            let x: Tensor<f32> = gaussian(IxDyn(&[20, 1, 28, 28]), 1.0, &mut seeded(8)).unwrap();
            let labels: Vec<usize> = (0..20).map(|i| i % 10).collect();
            let loss = net.gradient(&x, &labels).unwrap();
            let mut bits = vec![loss.to_bits()];
            net.visit_params(&mut |p| {
                bits.extend(
                    p.grad
                        .expect("every parameter has a gradient")
                        .iter()
                        .map(|g| g.to_bits()),
                );
            });
            let scores = net.predict(&x).unwrap();
            bits.extend(scores.iter().map(|v| v.to_bits()));
            bits
        })
    };
    let one = run(1);
    assert!(one.len() > 400_000);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn relu_then_max_pool_equals_max_pool_then_relu_bit_for_bit() {
    use nn_layers::{Layer, Mode, Relu, Sequential};
    // Inputs with many exact zeros, negative windows and ties.
    let x: Tensor<f32> = ndarray::Array4::from_shape_fn((3, 2, 7, 6), |(a, b, c, d)| {
        (((a * 7 + b * 5 + c * 3 + d) % 7) as f32 - 3.0) * 0.5
    })
    .into_dyn();
    let mut book = Sequential::new()
        .with(Relu::new())
        .with(Pooling::<f32>::max(2, 2, 2, 0).unwrap());
    let mut ours = Sequential::new()
        .with(Pooling::<f32>::max(2, 2, 2, 0).unwrap())
        .with(Relu::new());
    let y_book = book.forward(x.clone(), Mode::Train).unwrap();
    let y_ours = ours.forward(x, Mode::Train).unwrap();
    let bits = |t: &Tensor<f32>| t.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&y_book), bits(&y_ours));
    let g: Tensor<f32> = gaussian(y_book.raw_dim(), 1.0, &mut seeded(5)).unwrap();
    let dx_book = book.backward(g.clone()).unwrap();
    let dx_ours = ours.backward(g).unwrap();
    assert_eq!(bits(&dx_book), bits(&dx_ours));
}

#[test]
fn the_networks_pool_before_their_relus() {
    let simple = SimpleConvNet::default().build::<f32>(0).unwrap();
    let names: Vec<&str> = simple.layers().names().collect();
    assert_eq!(
        names,
        ["conv1", "pool1", "relu1", "affine1", "relu2", "affine2"]
    );
    let deep = DeepConvNet::default().build::<f32>(0).unwrap();
    let names: Vec<&str> = deep.layers().names().collect();
    assert_eq!(
        names[..9],
        ["conv1", "relu1", "conv2", "pool1", "relu2", "conv3", "relu3", "conv4", "pool2"]
    );
}

/// The f32 layers take the SIMD kernels (on CPUs with AVX2 and FMA);
/// f64 takes matrixmultiply. Both must compute the same convolution.
#[test]
fn f32_convolutions_agree_with_f64() {
    use nn_layers::{Layer, Mode};
    for (shape, filters, kernel, stride, pad) in [
        ([3, 16, 28, 28], 16, [3, 3], 1, 1),
        ([2, 1, 28, 28], 30, [5, 5], 1, 0),
        ([2, 32, 14, 14], 32, [3, 3], 1, 2),
        ([2, 3, 9, 7], 4, [3, 2], 2, 1),
    ] {
        let mut c64 = Convolution::<f64>::init(
            shape[1],
            filters,
            kernel,
            stride,
            pad,
            Init::He,
            &mut seeded(1),
        )
        .unwrap();
        let mut c32 = Convolution::<f32>::new(
            c64.weight().mapv(|v| v as f32),
            c64.bias().mapv(|v| v as f32),
            stride,
            pad,
        )
        .unwrap();
        let x64 = random(&shape, 2);
        let y64 = c64.forward(x64.clone(), Mode::Train).unwrap();
        let y32 = c32.forward(x64.mapv(|v| v as f32), Mode::Train).unwrap();
        let g64 = random(y64.shape(), 3);
        let dx64 = c64.backward(g64.clone()).unwrap();
        let dx32 = c32.backward(g64.mapv(|v| v as f32)).unwrap();
        let close = |a: &Tensor<f32>, b: &Tensor<f64>, what: &str| {
            let scale = b.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (f64::from(*x) - y).abs() <= 1e-4 * scale,
                    "{what} {shape:?}: {x} vs {y}"
                );
            }
        };
        close(&y32, &y64, "output");
        close(&dx32, &dx64, "dx");
        close(
            &c32.grads().unwrap().0.clone().into_dyn(),
            &c64.grads().unwrap().0.clone().into_dyn(),
            "dW",
        );
    }
}

/// Inputs that panicked (issue 14): pooling over 0 channels, a convolution
/// of an empty image with padding. Errors now, or an empty output.
#[test]
fn empty_images_and_channels_do_not_panic() {
    use nn_conv::{Convolution, Pooling};
    use nn_layers::{Layer, Mode};
    let mut pool = Pooling::<f32>::max(2, 2, 2, 0).unwrap();
    match pool.forward(Tensor::<f32>::zeros(IxDyn(&[1, 0, 4, 4])), Mode::Train) {
        Ok(y) => assert_eq!(y.len(), 0),
        Err(e) => assert!(e.to_string().contains("channels"), "{e}"),
    }
    let mut conv = Convolution::<f32>::init(
        1,
        2,
        [1, 1],
        1,
        1,
        nn_core::init::Init::He,
        &mut nn_core::rng::seeded(0),
    )
    .unwrap();
    let err = conv
        .forward(Tensor::<f32>::zeros(IxDyn(&[1, 1, 0, 0])), Mode::Train)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("an empty image (1, 0, 0) has nothing"),
        "{err}"
    );
}
