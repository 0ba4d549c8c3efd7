//! Networks out, as ONNX models (opset 13, IR version 7) that onnxruntime
//! and other tools run.
//!
//! Each layer becomes the ONNX operators that compute exactly what it
//! computes at inference:
//!
//! | nn layer | ONNX |
//! |---|---|
//! | `affine` | `Gemm` (W is nn's (in, out)), after `Flatten` when its input is an image |
//! | `conv` | `Conv` with nn's stride and zero padding |
//! | `pool` (max) | `MaxPool`: nn, like ONNX, takes the maximum over the window's pixels inside the image |
//! | `pool` (average) | `AveragePool` with `count_include_pad = 1`: nn divides by the whole window |
//! | `bn` | `BatchNormalization` with the running statistics and nn's ε |
//! | `dropout` | nothing (inverted dropout), or `Mul` by 1 − ratio (the book's scaled dropout) |
//! | `relu`, `sigmoid`, `tanh`, `leaky_relu`, `flatten` | `Relu`, `Sigmoid`, `Tanh`, `LeakyRelu`, `Flatten` |
//! | `gelu` | its tanh approximation from `Mul`, `Add` and `Tanh` (ONNX's `Gelu` needs opset 20) |
//!
//! The loss is not part of the model: its output is the class scores, or
//! their softmax with [`ExportOptions::softmax`]. Values are float32
//! whatever the network's float type. The batch size is left free (`N`).

use std::collections::BTreeMap;

use nn_conv::{ConvolutionConfig, PoolKind, PoolingConfig};
use nn_core::{Float, Shape, Tensor};
use nn_layers::{
    BatchNormConfig, DropoutConfig, DropoutStyle, LayerSpec, LeakyReluConfig, Network,
};
use nn_model::NetworkSpec;
use prost::Message;

use crate::onnx_proto::{
    attribute_type, data_type, AttributeProto, Dimension, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TensorTypeProto,
    TypeProto, ValueInfoProto,
};
use crate::{Error, Result};

/// The ONNX operator set the models use.
pub const OPSET: i64 = 13;
/// The IR version that goes with [`OPSET`].
pub const IR_VERSION: i64 = 7;
/// The name of the model's input.
pub const INPUT: &str = "input";

/// What to add to the exported model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// End with `Softmax`, so the output is class probabilities (`probabilities`)
    /// rather than scores (`scores`).
    pub softmax: bool,
    /// Written into the model's `doc_string` (e.g. the checkpoint it came from).
    pub doc: String,
}

/// `net` as an ONNX model, its input `input` of shape (N, …spec's input).
///
/// # Errors
/// As [`export`]; [`Error::Export`] when the network's description has
/// no input shape.
pub fn export_network<T: Float>(
    net: &mut Network<T>,
    input: &[usize],
    options: &ExportOptions,
) -> Result<Vec<u8>> {
    let mut spec = NetworkSpec::describe(net);
    spec.input = Some(input.to_vec());
    export(&spec, &net.state(), options)
}

/// The network `spec` describes with the parameters `state` (as
/// [`Network::state`] gives them), encoded as an ONNX model.
///
/// # Errors
/// [`Error::Export`] when the description has no input shape, a
/// parameter is missing or mis-shaped, or a layer kind has no ONNX form
/// (every registered kind has one; a test checks each); [`Error::Model`]
/// when the description does not build.
pub fn export<T: Float>(
    spec: &NetworkSpec,
    state: &BTreeMap<String, Tensor<T>>,
    options: &ExportOptions,
) -> Result<Vec<u8>> {
    let input = spec.input.clone().ok_or_else(|| {
        Error::Export(
            "the network's description has no input shape (`input = [...]`), which an ONNX model needs".into(),
        )
    })?;
    let plan = spec.plan()?;
    for (name, shape) in &plan.params {
        match state.get(name) {
            Some(t) if t.shape() == shape.as_slice() => {}
            Some(t) => {
                return Err(Error::Export(format!(
                    "`{name}` is {} but the network needs {}",
                    Shape::from(t.shape()),
                    Shape::from(shape.as_slice())
                )))
            }
            None => return Err(Error::Export(format!("`{name}` is missing"))),
        }
    }
    let mut g = Graph {
        nodes: Vec::new(),
        initializers: Vec::new(),
        state: state
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.iter().map(|x| x.as_f64() as f32).collect::<Vec<f32>>(),
                )
            })
            .collect(),
        shapes: plan.params.iter().cloned().collect(),
    };
    let mut current = INPUT.to_string();
    let mut shape = input.clone();
    for ((name, layer), output) in spec
        .layer_names()
        .iter()
        .zip(&spec.layers)
        .zip(&plan.outputs)
    {
        let output = output
            .clone()
            .expect("every layer's output shape is known when the input's is");
        current = g
            .layer(name, layer, &current, &shape)
            .map_err(|e| Error::Export(format!("layer {name}: {e}")))?;
        shape = output;
    }
    let output_name = if options.softmax {
        "probabilities"
    } else {
        "scores"
    };
    let last_op = if options.softmax {
        "Softmax"
    } else {
        "Identity"
    };
    g.node(last_op, "output", &[&current], output_name, vec![]);
    let value_info = |name: &str, dims: &[usize]| ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: data_type::FLOAT,
                shape: Some(TensorShapeProto {
                    dim: std::iter::once(Dimension {
                        dim_value: None,
                        dim_param: Some("N".into()),
                    })
                    .chain(dims.iter().map(|&d| Dimension {
                        dim_value: Some(d as i64),
                        dim_param: None,
                    }))
                    .collect(),
                }),
            }),
        }),
    };
    let model = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "nn".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: options.doc.clone(),
        graph: Some(GraphProto {
            node: g.nodes,
            name: "nn".into(),
            initializer: g.initializers,
            input: vec![value_info(INPUT, &input)],
            output: vec![value_info(output_name, &shape)],
        }),
        metadata_props: vec![StringStringEntryProto {
            key: "network".into(),
            value: spec.to_json(),
        }],
    };
    Ok(model.encode_to_vec())
}

struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    state: BTreeMap<String, Vec<f32>>,
    shapes: BTreeMap<String, Vec<usize>>,
}

fn ints(name: &str, values: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attribute_type::INTS,
        ints: values.iter().map(|&v| v as i64).collect(),
        ..AttributeProto::default()
    }
}

fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attribute_type::INT,
        i: Some(value),
        ..AttributeProto::default()
    }
}

fn float(name: &str, value: f64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attribute_type::FLOAT,
        f: Some(value as f32),
        ..AttributeProto::default()
    }
}

impl Graph {
    fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        output: &str,
        attribute: Vec<AttributeProto>,
    ) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: name.to_string(),
            op_type: op.to_string(),
            attribute,
        });
    }

    /// The parameter `name` as an initializer of the same name.
    fn param(&mut self, name: &str) -> String {
        let values = &self.state[name];
        self.initializers.push(TensorProto {
            dims: self.shapes[name].iter().map(|&d| d as i64).collect(),
            data_type: data_type::FLOAT,
            name: name.to_string(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.to_string()
    }

    /// A float32 scalar initializer.
    fn scalar(&mut self, name: &str, value: f64) -> String {
        self.initializers.push(TensorProto {
            dims: Vec::new(),
            data_type: data_type::FLOAT,
            name: name.to_string(),
            raw_data: (value as f32).to_le_bytes().to_vec(),
        });
        name.to_string()
    }

    /// The nodes of one layer reading `x` (one sample's shape `shape`);
    /// returns the name of its output.
    fn layer(
        &mut self,
        name: &str,
        layer: &LayerSpec,
        x: &str,
        shape: &[usize],
    ) -> nn_layers::Result<String> {
        let out = name.to_string();
        let p = |local: &str| format!("{name}.{local}");
        match layer.kind.as_str() {
            "affine" => {
                let rows = if shape.len() > 1 {
                    let flat = format!("{name}.flat");
                    self.node("Flatten", &flat, &[x], &flat, vec![int("axis", 1)]);
                    flat
                } else {
                    x.to_string()
                };
                let (w, b) = (self.param(&p("weight")), self.param(&p("bias")));
                self.node("Gemm", name, &[&rows, &w, &b], &out, vec![]);
            }
            "conv" => {
                let c: ConvolutionConfig = layer.config()?;
                let (w, b) = (self.param(&p("weight")), self.param(&p("bias")));
                let attributes = vec![
                    ints("kernel_shape", &c.kernel),
                    ints("strides", &[c.stride, c.stride]),
                    ints("pads", &[c.pad; 4]),
                ];
                self.node("Conv", name, &[x, &w, &b], &out, attributes);
            }
            "pool" => {
                let c: PoolingConfig = layer.config()?;
                let stride = c.stride.unwrap_or(c.size[0]);
                let mut attributes = vec![
                    ints("kernel_shape", &c.size),
                    ints("strides", &[stride, stride]),
                    ints("pads", &[c.pad; 4]),
                ];
                let op = match c.op {
                    PoolKind::Max => "MaxPool",
                    PoolKind::Average => {
                        attributes.push(int("count_include_pad", 1));
                        "AveragePool"
                    }
                };
                self.node(op, name, &[x], &out, attributes);
            }
            "bn" => {
                let c: BatchNormConfig = layer.config()?;
                let inputs =
                    ["gamma", "beta", "running_mean", "running_var"].map(|l| self.param(&p(l)));
                self.node(
                    "BatchNormalization",
                    name,
                    &[x, &inputs[0], &inputs[1], &inputs[2], &inputs[3]],
                    &out,
                    vec![float("epsilon", c.eps)],
                );
            }
            "dropout" => {
                let c: DropoutConfig = layer.config()?;
                match c.style {
                    DropoutStyle::Inverted => self.node("Identity", name, &[x], &out, vec![]),
                    DropoutStyle::Scaled => {
                        let keep = self.scalar(&p("keep"), 1.0 - c.ratio);
                        self.node("Mul", name, &[x, &keep], &out, vec![]);
                    }
                }
            }
            "relu" => self.node("Relu", name, &[x], &out, vec![]),
            "sigmoid" => self.node("Sigmoid", name, &[x], &out, vec![]),
            "tanh" => self.node("Tanh", name, &[x], &out, vec![]),
            "leaky_relu" => {
                let c: LeakyReluConfig = layer.config()?;
                self.node("LeakyRelu", name, &[x], &out, vec![float("alpha", c.slope)]);
            }
            "flatten" => self.node("Flatten", name, &[x], &out, vec![int("axis", 1)]),
            "gelu" => {
                // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
                let c = |s: &str| format!("{name}.{s}");
                let k = self.scalar(&c("k"), 0.044715);
                let r = self.scalar(&c("sqrt_2_over_pi"), (2.0 / std::f64::consts::PI).sqrt());
                let half = self.scalar(&c("half"), 0.5);
                let one = self.scalar(&c("one"), 1.0);
                self.node("Mul", &c("x2"), &[x, x], &c("x2"), vec![]);
                self.node("Mul", &c("x3"), &[&c("x2"), x], &c("x3"), vec![]);
                self.node("Mul", &c("kx3"), &[&c("x3"), &k], &c("kx3"), vec![]);
                self.node("Add", &c("inner"), &[x, &c("kx3")], &c("inner"), vec![]);
                self.node(
                    "Mul",
                    &c("scaled"),
                    &[&c("inner"), &r],
                    &c("scaled"),
                    vec![],
                );
                self.node("Tanh", &c("tanh"), &[&c("scaled")], &c("tanh"), vec![]);
                self.node("Add", &c("onep"), &[&c("tanh"), &one], &c("onep"), vec![]);
                self.node("Mul", &c("halfx"), &[x, &half], &c("halfx"), vec![]);
                self.node("Mul", name, &[&c("halfx"), &c("onep")], &out, vec![]);
            }
            other => {
                return Err(nn_layers::Error::Setting(format!(
                    "layer kind `{other}` has no ONNX form yet (add it to nn-interop's onnx.rs)"
                )))
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_layer_kind_has_an_onnx_form() {
        for kind in nn_model::layer_kinds::<f32>() {
            let (layer, input) = kind.example();
            let spec = NetworkSpec {
                input: Some(input),
                loss: nn_model::Loss::default(),
                weight_decay: 0.0,
                layers: vec![layer],
            };
            let state = spec.build::<f32>(0).unwrap().state();
            let bytes = export(&spec, &state, &ExportOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", kind.kind));
            let model = ModelProto::decode(bytes.as_slice()).unwrap();
            let graph = model.graph.unwrap();
            assert_eq!(graph.input[0].name, INPUT, "{}", kind.kind);
            assert_eq!(
                graph.node.last().unwrap().output,
                ["scores"],
                "{}",
                kind.kind
            );
        }
    }

    #[test]
    fn a_description_without_an_input_shape_is_refused() {
        let spec = NetworkSpec::from_toml(
            "[[layers]]\nkind = \"affine\"\ninputs = 2\noutputs = 1\n",
            "t",
        )
        .unwrap();
        let state = spec.build::<f32>(0).unwrap().state();
        let e = export(&spec, &state, &ExportOptions::default()).unwrap_err();
        assert!(e.to_string().contains("has no input shape"), "{e}");
    }
}
