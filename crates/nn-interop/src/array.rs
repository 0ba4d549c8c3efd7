//! An array read from another tool's file: its shape and its values, in the
//! precision the file held them.

use nn_core::{Float, Shape, Tensor};

/// The largest number of values nn-interop reads from one file, all arrays
/// together: 2²⁸ (1 GiB of f32), far above the book's largest file
/// (DeepConvNet, 0.67 million values).
pub const MAX_VALUES: usize = 1 << 28;

/// The values of an [`Array`], as the file stored them.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// float32.
    F32(Vec<f32>),
    /// float64.
    F64(Vec<f64>),
}

/// One named array from outside: a row-major (C-order) shape and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The shape, e.g. `[784, 50]`.
    pub shape: Vec<usize>,
    /// The values in row-major order.
    pub values: Values,
}

/// The element type of stored bytes: float32 or float64, either byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) bytes: usize,
    pub(crate) big_endian: bool,
}

impl Element {
    /// Reads NumPy's type string: `f4`/`f8` (or `float32`/`float64`) with
    /// an optional byte order (`<`, `>`, `=`, `|`); `order` is a separate
    /// byte-order character, as pickled dtypes carry it.
    pub(crate) fn numpy(descr: &str, order: Option<&str>) -> Result<Element, String> {
        let (order_char, name) = match descr.chars().next() {
            Some(c @ ('<' | '>' | '=' | '|')) => (Some(c), &descr[1..]),
            _ => (order.and_then(|o| o.chars().next()), descr),
        };
        let bytes = match name {
            "f4" | "float32" => 4,
            "f8" | "float64" => 8,
            _ => {
                return Err(format!(
                    "dtype `{descr}`: nn reads float32 (`f4`) and float64 (`f8`) arrays"
                ))
            }
        };
        Ok(Element {
            bytes,
            big_endian: order_char == Some('>'),
        })
    }
}

impl Array {
    /// NumPy's name of the values' type: `float32` or `float64`.
    pub fn dtype(&self) -> &'static str {
        match self.values {
            Values::F32(_) => "float32",
            Values::F64(_) => "float64",
        }
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        match &self.values {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }

    /// Whether it holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape as NumPy prints it, e.g. `(784, 50)`.
    pub fn shape_text(&self) -> String {
        Shape::from(self.shape.as_slice()).to_string()
    }

    /// The values as a tensor of `T` (each rounded to nearest when narrowing
    /// float64 to float32).
    pub fn to_tensor<T: Float>(&self) -> Tensor<T> {
        let values: Vec<T> = match &self.values {
            Values::F32(v) => v.iter().map(|&x| T::cast(f64::from(x))).collect(),
            Values::F64(v) => v.iter().map(|&x| T::cast(x)).collect(),
        };
        Tensor::from_shape_vec(ndarray::IxDyn(&self.shape), values)
            .expect("Array keeps its values' count equal to its shape's product")
    }

    /// The 2-D array transposed (PyTorch's `Linear.weight` (out, in) into
    /// nn's `Affine` (in, out)); any other rank is returned unchanged.
    pub fn transposed(&self) -> Array {
        let [rows, cols] = self.shape[..] else {
            return self.clone();
        };
        fn swap<V: Copy>(v: &[V], rows: usize, cols: usize) -> Vec<V> {
            (0..cols)
                .flat_map(|j| (0..rows).map(move |i| v[i * cols + j]))
                .collect()
        }
        let values = match &self.values {
            Values::F32(v) => Values::F32(swap(v, rows, cols)),
            Values::F64(v) => Values::F64(swap(v, rows, cols)),
        };
        Array {
            shape: vec![cols, rows],
            values,
        }
    }

    /// Decodes `bytes` holding `shape` of `element` in C order, or in
    /// Fortran order when `fortran` is set. The byte count must be exactly
    /// the shape's product times the element size, checked without
    /// overflow before anything is allocated.
    pub(crate) fn decode(
        bytes: &[u8],
        element: Element,
        shape: Vec<usize>,
        fortran: bool,
    ) -> Result<Array, String> {
        let count = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= MAX_VALUES)
            .ok_or_else(|| {
                format!(
                    "shape {} has more than {MAX_VALUES} values",
                    Shape::from(shape.as_slice())
                )
            })?;
        let needed = count * element.bytes;
        if bytes.len() != needed {
            return Err(format!(
                "shape {} of float{} needs {needed} bytes, but {} are there",
                Shape::from(shape.as_slice()),
                element.bytes * 8,
                bytes.len()
            ));
        }
        let values = match (element.bytes, element.big_endian) {
            (4, big) => Values::F32(
                bytes
                    .chunks_exact(4)
                    .map(|b| {
                        let b = [b[0], b[1], b[2], b[3]];
                        if big {
                            f32::from_be_bytes(b)
                        } else {
                            f32::from_le_bytes(b)
                        }
                    })
                    .collect(),
            ),
            (_, big) => Values::F64(
                bytes
                    .chunks_exact(8)
                    .map(|b| {
                        let b: [u8; 8] = b.try_into().expect("chunks of 8");
                        if big {
                            f64::from_be_bytes(b)
                        } else {
                            f64::from_le_bytes(b)
                        }
                    })
                    .collect(),
            ),
        };
        let array = Array { shape, values };
        Ok(if fortran { array.fortran_to_c() } else { array })
    }

    /// Reorders values stored in Fortran (column-major) order into C order.
    fn fortran_to_c(self) -> Array {
        if self.shape.len() < 2 {
            return self;
        }
        fn reorder<V: Copy>(v: Vec<V>, shape: &[usize]) -> Vec<V> {
            // Fortran order of `shape` is C order of the reversed shape.
            let reversed: Vec<usize> = shape.iter().rev().copied().collect();
            let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&reversed), v)
                .expect("the count was checked against the shape");
            a.reversed_axes().iter().copied().collect()
        }
        let values = match self.values {
            Values::F32(v) => Values::F32(reorder(v, &self.shape)),
            Values::F64(v) => Values::F64(reorder(v, &self.shape)),
        };
        Array {
            shape: self.shape,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_order_and_big_endian_are_read_into_c_order() {
        // [[1, 2, 3], [4, 5, 6]] stored column by column, big-endian f64.
        let bytes: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let element = Element::numpy(">f8", None).unwrap();
        let a = Array::decode(&bytes, element, vec![2, 3], true).unwrap();
        assert_eq!(a.values, Values::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        assert_eq!(
            a.transposed().values,
            Values::F64(vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
        );
    }

    #[test]
    fn byte_counts_and_shapes_are_checked_before_allocating() {
        let element = Element::numpy("f4", Some("<")).unwrap();
        let short = Array::decode(&[0; 20], element, vec![2, 3], false).unwrap_err();
        assert_eq!(
            short,
            "shape (2, 3) of float32 needs 24 bytes, but 20 are there"
        );
        let huge = Array::decode(&[0; 4], element, vec![1 << 40, 1 << 40], false).unwrap_err();
        assert!(huge.contains("more than 268435456 values"), "{huge}");
        let int = Element::numpy("<i8", None).unwrap_err();
        assert!(int.contains("dtype `<i8`"), "{int}");
    }
}
