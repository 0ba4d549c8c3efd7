//! A restricted reader of Python pickles of NumPy arrays: the book's weight
//! files, and `pickle.dump({name: array})` from any NumPy.
//!
//! A pickle is a program for a small stack machine; Python's unpickler runs
//! it and calls whatever globals it names, which is how a pickle executes
//! code. This reader runs the stack machine with none of that: it knows
//! the opcodes of protocols 0–5 that data needs, and it accepts only the
//! globals a NumPy array pickle refers to, each interpreted here as data:
//!
//! | global | what it builds |
//! |---|---|
//! | `numpy.core.multiarray._reconstruct` (NumPy 1), `numpy._core.multiarray._reconstruct` (NumPy 2) with `numpy.ndarray` | an empty array that `BUILD` fills (protocols 2–4) |
//! | `numpy.core.numeric._frombuffer`, `numpy._core.numeric._frombuffer` | an array from in-band bytes (protocol 5) |
//! | `numpy.dtype` | a dtype (`f4`, `f8`); `BUILD` sets its byte order |
//! | `_codecs.encode` | bytes from text (how protocol 2 stores bytes) |
//! | `collections.OrderedDict` | an empty dict |
//!
//! Any other global is an error naming it. Objects live in an arena and are
//! referred to by index, so a recursive structure is only a cycle of
//! indices (never followed), nothing is nested in Rust values (no deep
//! recursion), and cloning from the memo is cheap. Every length is checked
//! against the bytes that remain before it is used, and the bytes the
//! reader derives (decoded text, array values) are capped at a few times
//! the input's size, so a pickle cannot make the reader allocate much more
//! than the file.
//!
//! No well-kept crate fits: `serde-pickle` resolves only a fixed set of
//! builtins and replaces or refuses every other global, so it cannot
//! represent the NumPy calls; `repugnant-pickle` (0.0.x) and `pyferrite`
//! (0.0.x, with HDF5 and polars) are early, wide-surface projects.

use std::collections::HashMap;
use std::rc::Rc;

use crate::array::{Array, Element};
use crate::{Error, Result};

/// NumPy's largest number of dimensions.
const MAX_DIMS: usize = 64;

/// The globals a pickle may name, each interpreted as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Global {
    Reconstruct,
    NdArray,
    Dtype,
    FromBuffer,
    CodecsEncode,
    OrderedDict,
}

const ALLOWED: &[(&str, &str, Global)] = &[
    ("numpy.core.multiarray", "_reconstruct", Global::Reconstruct),
    (
        "numpy._core.multiarray",
        "_reconstruct",
        Global::Reconstruct,
    ),
    ("numpy", "ndarray", Global::NdArray),
    ("numpy", "dtype", Global::Dtype),
    ("numpy.core.numeric", "_frombuffer", Global::FromBuffer),
    ("numpy._core.numeric", "_frombuffer", Global::FromBuffer),
    ("_codecs", "encode", Global::CodecsEncode),
    ("collections", "OrderedDict", Global::OrderedDict),
];

/// A value on the machine's stack. Containers and objects are indices into
/// the arena.
#[derive(Debug, Clone)]
enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float,
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Global(Global),
    Obj(usize),
}

/// An object in the arena.
#[derive(Debug)]
enum Object {
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Dtype {
        name: Rc<str>,
        order: Option<Rc<str>>,
    },
    /// `_reconstruct(ndarray, ...)` before `BUILD` sets its contents.
    EmptyArray,
    Array(Array),
}

/// Reads the dict of arrays a pickle holds, in the pickle's order.
/// `origin` names the file in errors.
///
/// # Errors
/// [`Error::Format`] for anything but a dict of float32/float64 arrays
/// keyed by strings, with the opcode's offset where one is at fault.
pub fn read_pickle(bytes: &[u8], origin: &str) -> Result<Vec<(String, Array)>> {
    let mut machine = Machine::new(bytes);
    let root = machine
        .run()
        .map_err(|(at, message)| Error::format(origin, format!("at byte {at}: {message}")))?;
    machine
        .arrays(&root)
        .map_err(|message| Error::format(origin, message))
}

struct Machine<'a> {
    input: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    arena: Vec<Object>,
    /// Bytes the machine may still derive (decoded text, array values).
    budget: usize,
}

type Step<T> = std::result::Result<T, String>;

impl<'a> Machine<'a> {
    fn new(input: &'a [u8]) -> Self {
        Machine {
            input,
            at: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            arena: Vec::new(),
            budget: input.len().saturating_mul(4).saturating_add(1 << 16),
        }
    }

    /// Runs to `STOP`; errors carry the offset of the opcode at fault.
    fn run(&mut self) -> std::result::Result<Value, (usize, String)> {
        loop {
            let start = self.at;
            match self.step() {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                Err(message) => return Err((start, message)),
            }
        }
    }

    fn take(&mut self, n: usize) -> Step<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.input.len())
            .ok_or_else(|| {
                format!(
                    "needs {n} more bytes, but the pickle ends {} bytes later",
                    self.input.len() - self.at
                )
            })?;
        let out = &self.input[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Step<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Step<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64_len(&mut self) -> Step<usize> {
        let b: [u8; 8] = self.take(8)?.try_into().expect("8 bytes");
        usize::try_from(u64::from_le_bytes(b)).map_err(|_| "a length past usize".to_string())
    }

    fn line(&mut self) -> Step<&'a str> {
        let rest = &self.input[self.at..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a text argument without its newline")?;
        let text = std::str::from_utf8(&rest[..n]).map_err(|_| "text that is not UTF-8")?;
        self.at += n + 1;
        Ok(text)
    }

    fn spend(&mut self, n: usize) -> Step<()> {
        self.budget = self.budget.checked_sub(n).ok_or(
            "derives more data than a few times its own size (a pickle that repeats its contents)",
        )?;
        Ok(())
    }

    fn push_obj(&mut self, object: Object) -> Value {
        self.arena.push(object);
        Value::Obj(self.arena.len() - 1)
    }

    fn pop(&mut self) -> Step<Value> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err("pops past a mark".into());
        }
        self.stack.pop().ok_or_else(|| "pops an empty stack".into())
    }

    fn pop_mark(&mut self) -> Step<Vec<Value>> {
        let mark = self.marks.pop().ok_or("no mark to pop to")?;
        Ok(self.stack.split_off(mark))
    }

    fn top_obj(&self) -> Step<usize> {
        match self.stack.last() {
            Some(Value::Obj(i)) => Ok(*i),
            Some(other) => Err(format!(
                "expects a container on the stack, finds {}",
                kind(other)
            )),
            None => Err("expects a container on an empty stack".into()),
        }
    }

    fn text(&mut self, bytes: &[u8]) -> Step<Value> {
        let text = std::str::from_utf8(bytes).map_err(|_| "text that is not UTF-8")?;
        Ok(Value::Str(Rc::from(text)))
    }

    fn step(&mut self) -> Step<Option<Value>> {
        let op = self.byte()?;
        match op {
            0x80 => {
                let protocol = self.byte()?;
                if protocol > 5 {
                    return Err(format!("pickle protocol {protocol}; nn reads 0 to 5"));
                }
            }
            0x95 => {
                self.take(8)?; // FRAME: a length hint
            }
            b'.' => return self.pop().map(Some),
            b'(' => self.marks.push(self.stack.len()),
            b'0' => {
                self.pop()?;
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => {
                let top = self.stack.last().cloned().ok_or("DUP on an empty stack")?;
                self.stack.push(top);
            }
            b'N' => self.stack.push(Value::None),
            0x88 => self.stack.push(Value::Bool(true)),
            0x89 => self.stack.push(Value::Bool(false)),
            b'J' => {
                let b = self.take(4)?;
                self.stack
                    .push(Value::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))));
            }
            b'K' => {
                let v = self.byte()?;
                self.stack.push(Value::Int(i64::from(v)));
            }
            b'M' => {
                let b = self.take(2)?;
                self.stack
                    .push(Value::Int(i64::from(u16::from_le_bytes([b[0], b[1]]))));
            }
            0x8a => {
                let n = usize::from(self.byte()?);
                let b = self.take(n)?;
                if n > 8 {
                    return Err(format!("an integer of {n} bytes"));
                }
                let fill = if b.last().is_some_and(|&x| x & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut le = [fill; 8];
                le[..n].copy_from_slice(b);
                self.stack.push(Value::Int(i64::from_le_bytes(le)));
            }
            b'I' => {
                let t = self.line()?;
                let v = match t {
                    "00" => Value::Bool(false),
                    "01" => Value::Bool(true),
                    _ => Value::Int(t.parse().map_err(|_| format!("integer `{t}`"))?),
                };
                self.stack.push(v);
            }
            b'G' => {
                self.take(8)?;
                self.stack.push(Value::Float);
            }
            b'X' => {
                let n = self.u32()? as usize;
                let b = self.take(n)?;
                let v = self.text(b)?;
                self.stack.push(v);
            }
            0x8c => {
                let n = usize::from(self.byte()?);
                let b = self.take(n)?;
                let v = self.text(b)?;
                self.stack.push(v);
            }
            0x8d => {
                let n = self.u64_len()?;
                let b = self.take(n)?;
                let v = self.text(b)?;
                self.stack.push(v);
            }
            // Python 2 strings (BINSTRING, SHORT_BINSTRING) are bytes.
            b'T' | b'B' => {
                let n = self.u32()? as usize;
                let b = self.take(n)?;
                self.stack.push(Value::Bytes(Rc::from(b)));
            }
            b'U' | b'C' => {
                let n = usize::from(self.byte()?);
                let b = self.take(n)?;
                self.stack.push(Value::Bytes(Rc::from(b)));
            }
            0x8e | 0x96 => {
                let n = self.u64_len()?;
                let b = self.take(n)?;
                self.stack.push(Value::Bytes(Rc::from(b)));
            }
            0x98 => {} // READONLY_BUFFER: the buffer on the stack stays as it is
            0x97 => return Err("an out-of-band buffer (NEXT_BUFFER), which a file cannot carry".into()),
            b')' => {
                let v = self.push_obj(Object::Tuple(Vec::new()));
                self.stack.push(v);
            }
            b't' => {
                let items = self.pop_mark()?;
                let v = self.push_obj(Object::Tuple(items));
                self.stack.push(v);
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop()?);
                }
                items.reverse();
                let v = self.push_obj(Object::Tuple(items));
                self.stack.push(v);
            }
            b']' => {
                let v = self.push_obj(Object::List(Vec::new()));
                self.stack.push(v);
            }
            b'l' => {
                let items = self.pop_mark()?;
                let v = self.push_obj(Object::List(items));
                self.stack.push(v);
            }
            b'a' => {
                let item = self.pop()?;
                let list = self.top_obj()?;
                self.list_mut(list)?.push(item);
            }
            b'e' => {
                let items = self.pop_mark()?;
                let list = self.top_obj()?;
                self.list_mut(list)?.extend(items);
            }
            b'}' => {
                let v = self.push_obj(Object::Dict(Vec::new()));
                self.stack.push(v);
            }
            b'd' => {
                let items = self.pop_mark()?;
                let v = self.push_obj(Object::Dict(pairs(items)?));
                self.stack.push(v);
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                let dict = self.top_obj()?;
                self.dict_mut(dict)?.push((key, value));
            }
            b'u' => {
                let items = self.pop_mark()?;
                let dict = self.top_obj()?;
                let new = pairs(items)?;
                self.dict_mut(dict)?.extend(new);
            }
            b'q' => {
                let i = u32::from(self.byte()?);
                self.memoize(i)?;
            }
            b'r' => {
                let i = self.u32()?;
                self.memoize(i)?;
            }
            0x94 => {
                let i = u32::try_from(self.memo.len()).map_err(|_| "too many memo entries")?;
                self.memoize(i)?;
            }
            b'p' => {
                let t = self.line()?;
                let i = t.parse().map_err(|_| format!("memo index `{t}`"))?;
                self.memoize(i)?;
            }
            b'h' => {
                let i = u32::from(self.byte()?);
                self.recall(i)?;
            }
            b'j' => {
                let i = self.u32()?;
                self.recall(i)?;
            }
            b'g' => {
                let t = self.line()?;
                let i = t.parse().map_err(|_| format!("memo index `{t}`"))?;
                self.recall(i)?;
            }
            b'c' => {
                let module = self.line()?;
                let name = self.line()?;
                let g = global(module, name)?;
                self.stack.push(Value::Global(g));
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Value::Str(module), Value::Str(name)) = (&module, &name) else {
                    return Err("STACK_GLOBAL without a module and a name".into());
                };
                let g = global(module, name)?;
                self.stack.push(Value::Global(g));
            }
            b'R' => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let v = self.reduce(&callable, &args)?;
                self.stack.push(v);
            }
            b'b' => {
                let state = self.pop()?;
                let target = self.top_obj()?;
                self.build(target, &state)?;
            }
            other => {
                return Err(match other {
                    b'P' | b'Q' => "a persistent id (PyTorch's own format: save a state_dict with safetensors instead)".to_string(),
                    b'o' | b'i' | 0x81 | 0x92 => "an object built by calling its class (not a NumPy array)".to_string(),
                    _ => format!("opcode 0x{other:02x}, which nn does not read"),
                })
            }
        }
        Ok(None)
    }

    fn memoize(&mut self, i: u32) -> Step<()> {
        let top = self
            .stack
            .last()
            .cloned()
            .ok_or("memoizes an empty stack")?;
        self.memo.insert(i, top);
        Ok(())
    }

    fn recall(&mut self, i: u32) -> Step<()> {
        let v = self
            .memo
            .get(&i)
            .cloned()
            .ok_or_else(|| format!("memo entry {i} was never stored"))?;
        self.stack.push(v);
        Ok(())
    }

    fn list_mut(&mut self, i: usize) -> Step<&mut Vec<Value>> {
        match &mut self.arena[i] {
            Object::List(items) => Ok(items),
            other => Err(format!("appends to {}", object_kind(other))),
        }
    }

    fn dict_mut(&mut self, i: usize) -> Step<&mut Vec<(Value, Value)>> {
        match &mut self.arena[i] {
            Object::Dict(items) => Ok(items),
            other => Err(format!("sets an item of {}", object_kind(other))),
        }
    }

    fn tuple(&self, v: &Value) -> Step<&[Value]> {
        match v {
            Value::Obj(i) => match &self.arena[*i] {
                Object::Tuple(items) => Ok(items),
                other => Err(format!("expects a tuple, finds {}", object_kind(other))),
            },
            other => Err(format!("expects a tuple, finds {}", kind(other))),
        }
    }

    fn shape(&self, v: &Value) -> Step<Vec<usize>> {
        let dims = self.tuple(v)?;
        if dims.len() > MAX_DIMS {
            return Err(format!(
                "a shape of {} dimensions; NumPy allows {MAX_DIMS}",
                dims.len()
            ));
        }
        dims.iter()
            .map(|d| match d {
                Value::Int(n) => usize::try_from(*n).map_err(|_| format!("a dimension of {n}")),
                other => Err(format!("a dimension that is {}", kind(other))),
            })
            .collect()
    }

    fn element(&self, v: &Value) -> Step<Element> {
        match v {
            Value::Obj(i) => match &self.arena[*i] {
                Object::Dtype { name, order } => Element::numpy(name, order.as_deref()),
                other => Err(format!("expects a dtype, finds {}", object_kind(other))),
            },
            other => Err(format!("expects a dtype, finds {}", kind(other))),
        }
    }

    /// `callable(*args)`, for the allowed globals only.
    fn reduce(&mut self, callable: &Value, args: &Value) -> Step<Value> {
        let Value::Global(g) = callable else {
            return Err(format!(
                "calls {}, which is not a known global",
                kind(callable)
            ));
        };
        // Checked before copying: a memoised tuple of a million items must
        // not be copied at every call.
        let args = self.tuple(args)?;
        if args.len() > 4 {
            return Err(format!(
                "calls {} with {} arguments",
                name_of(*g),
                args.len()
            ));
        }
        let args = args.to_vec();
        Ok(match (g, args.as_slice()) {
            (Global::Reconstruct, [Value::Global(Global::NdArray), ..]) => {
                self.push_obj(Object::EmptyArray)
            }
            (Global::Dtype, [Value::Str(name), ..]) => self.push_obj(Object::Dtype {
                name: name.clone(),
                order: None,
            }),
            (Global::FromBuffer, [Value::Bytes(data), dtype, shape, order]) => {
                let element = self.element(dtype)?;
                let shape = self.shape(shape)?;
                let fortran = match order {
                    Value::Str(o) => &**o == "F",
                    _ => false,
                };
                self.spend(data.len().saturating_mul(2))?;
                let array = Array::decode(data, element, shape, fortran)?;
                self.push_obj(Object::Array(array))
            }
            (Global::CodecsEncode, [Value::Str(text), Value::Str(codec)])
                if matches!(&**codec, "latin1" | "latin-1") =>
            {
                self.spend(text.len())?;
                let bytes = text
                    .chars()
                    .map(|c| u8::try_from(u32::from(c)))
                    .collect::<std::result::Result<Vec<u8>, _>>()
                    .map_err(|_| "latin-1 text with a character past U+00FF")?;
                Value::Bytes(Rc::from(bytes))
            }
            (Global::OrderedDict, []) => self.push_obj(Object::Dict(Vec::new())),
            (g, _) => {
                return Err(format!(
                    "calls {} with arguments it does not take",
                    name_of(*g)
                ))
            }
        })
    }

    /// `BUILD`: a dtype's byte order, or an array's shape, dtype and bytes.
    fn build(&mut self, target: usize, state: &Value) -> Step<()> {
        let state = self.tuple(state)?;
        if state.len() > 9 {
            return Err(format!("an object state of {} items", state.len()));
        }
        let state = state.to_vec();
        match &self.arena[target] {
            Object::Dtype { .. } => {
                let order = match state.get(1) {
                    Some(Value::Str(o)) => Some(o.clone()),
                    _ => None,
                };
                if let Object::Dtype { order: slot, .. } = &mut self.arena[target] {
                    *slot = order;
                }
                Ok(())
            }
            Object::EmptyArray => {
                let [_, shape, dtype, fortran, data] = state.as_slice() else {
                    return Err(format!(
                        "an array state of {} items; NumPy writes 5",
                        state.len()
                    ));
                };
                let shape = self.shape(shape)?;
                let element = self.element(dtype)?;
                let fortran = matches!(fortran, Value::Bool(true) | Value::Int(1));
                let Value::Bytes(data) = data else {
                    return Err(format!(
                        "array data that is {} (an array of Python objects?)",
                        kind(data)
                    ));
                };
                let data = data.clone();
                self.spend(data.len().saturating_mul(2))?;
                let array = Array::decode(&data, element, shape, fortran)?;
                self.arena[target] = Object::Array(array);
                Ok(())
            }
            other => Err(format!("sets the state of {}", object_kind(other))),
        }
    }

    /// The root dict's string keys and array values.
    fn arrays(&mut self, root: &Value) -> Step<Vec<(String, Array)>> {
        let Value::Obj(i) = root else {
            return Err(format!("holds {}, not a dict of arrays", kind(root)));
        };
        let entries = match &self.arena[*i] {
            Object::Dict(entries) => entries.clone(),
            other => {
                return Err(format!(
                    "holds {}, not a dict of arrays",
                    object_kind(other)
                ))
            }
        };
        let mut out = Vec::with_capacity(entries.len());
        let mut seen = std::collections::HashSet::new();
        for (key, value) in entries {
            let name = match &key {
                Value::Str(s) => s.to_string(),
                Value::Bytes(b) => String::from_utf8(b.to_vec())
                    .map_err(|_| "a key that is not UTF-8 text".to_string())?,
                other => return Err(format!("a key that is {}", kind(other))),
            };
            let array = match &value {
                Value::Obj(j) => match &self.arena[*j] {
                    Object::Array(a) => a.clone(),
                    other => {
                        return Err(format!(
                            "`{name}` holds {}, not an array",
                            object_kind(other)
                        ))
                    }
                },
                other => return Err(format!("`{name}` holds {}, not an array", kind(other))),
            };
            // The same array under several keys is copied for each.
            self.spend(array.len().saturating_mul(8))?;
            if !seen.insert(name.clone()) {
                return Err(format!("`{name}` appears twice"));
            }
            out.push((name, array));
        }
        Ok(out)
    }
}

fn pairs(items: Vec<Value>) -> Step<Vec<(Value, Value)>> {
    if !items.len().is_multiple_of(2) {
        return Err("an odd number of items for a dict".into());
    }
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

fn global(module: &str, name: &str) -> Step<Global> {
    ALLOWED
        .iter()
        .find(|(m, n, _)| *m == module && *n == name)
        .map(|&(_, _, g)| g)
        .ok_or_else(|| {
            format!(
                "refers to the Python global `{module}.{name}`; nn reads only pickles of NumPy \
                 arrays and runs nothing, so it accepts only {}",
                ALLOWED
                    .iter()
                    .map(|(m, n, _)| format!("{m}.{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

fn name_of(g: Global) -> String {
    let (m, n, _) = ALLOWED
        .iter()
        .find(|(_, _, x)| *x == g)
        .expect("every Global is in ALLOWED");
    format!("{m}.{n}")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::None => "None",
        Value::Bool(_) => "a bool",
        Value::Int(_) => "an int",
        Value::Float => "a float",
        Value::Str(_) => "a str",
        Value::Bytes(_) => "bytes",
        Value::Global(_) => "a global",
        Value::Obj(_) => "an object",
    }
}

fn object_kind(o: &Object) -> &'static str {
    match o {
        Object::Tuple(_) => "a tuple",
        Object::List(_) => "a list",
        Object::Dict(_) => "a dict",
        Object::Dtype { .. } => "a dtype",
        Object::EmptyArray => "an array without contents",
        Object::Array(_) => "an array",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Values;

    /// `{'W1': array([[1., 2.]], dtype=float32)}` as NumPy 1 writes it with
    /// protocol 3, opcode by opcode.
    fn book_style() -> Vec<u8> {
        let mut p = vec![0x80, 3, b'}', b'q', 0, b'('];
        p.extend(b"X\x02\x00\x00\x00W1");
        p.extend(b"cnumpy.core.multiarray\n_reconstruct\n");
        p.extend(b"cnumpy\nndarray\n");
        p.extend(b"K\x00\x85C\x01b\x87R"); // _reconstruct(ndarray, (0,), b'b')
        p.extend(b"(K\x01K\x01K\x02\x86"); // state: (1, (1, 2),
        p.extend(b"cnumpy\ndtype\nX\x02\x00\x00\x00f4K\x00K\x01\x87R");
        p.extend(b"(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb");
        p.extend(b"\x89C\x08"); // not Fortran, 8 bytes of data
        p.extend(1.0f32.to_le_bytes());
        p.extend(2.0f32.to_le_bytes());
        p.extend(b"tbu.");
        p
    }

    #[test]
    fn reads_a_protocol_3_pickle_of_an_array() {
        let arrays = read_pickle(&book_style(), "w.pkl").unwrap();
        assert_eq!(arrays.len(), 1);
        assert_eq!(arrays[0].0, "W1");
        assert_eq!(arrays[0].1.shape, vec![1, 2]);
        assert_eq!(arrays[0].1.values, Values::F32(vec![1.0, 2.0]));
    }

    #[test]
    fn any_other_global_is_refused_by_name() {
        let p = b"\x80\x03cos\nsystem\nX\x02\x00\x00\x00lsR.";
        let e = read_pickle(p, "evil.pkl").unwrap_err().to_string();
        assert!(
            e.starts_with("evil.pkl: at byte 2: refers to the Python global `os.system`"),
            "{e}"
        );
    }

    #[test]
    fn a_list_that_holds_itself_is_not_an_array_and_ends() {
        // l = []; l.append(l); {'a': l}
        let p = b"\x80\x02}q\x00X\x01\x00\x00\x00a]q\x01h\x01as.";
        let e = read_pickle(p, "r.pkl").unwrap_err().to_string();
        assert_eq!(e, "r.pkl: `a` holds a list, not an array");
    }

    #[test]
    fn lengths_past_the_end_and_truncation_are_errors() {
        let p = b"\x80\x03X\xff\xff\xff\xffab";
        let e = read_pickle(p, "t.pkl").unwrap_err().to_string();
        assert_eq!(
            e,
            "t.pkl: at byte 2: needs 4294967295 more bytes, but the pickle ends 2 bytes later"
        );
        let whole = book_style();
        for cut in 0..whole.len() {
            assert!(read_pickle(&whole[..cut], "t.pkl").is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_shape_that_does_not_match_the_bytes_is_an_error() {
        let p = book_style();
        // The shape (1, 2) becomes (1, 3).
        let at = p.windows(6).position(|w| w == b"K\x01K\x02\x86c").unwrap();
        let mut q = p.clone();
        q[at + 3] = 3;
        let e = read_pickle(&q, "s.pkl").unwrap_err().to_string();
        assert!(
            e.ends_with("shape (1, 3) of float32 needs 12 bytes, but 8 are there"),
            "{e}"
        );
    }

    #[test]
    fn a_huge_memoised_tuple_is_not_copied_at_every_call() {
        let mut p = b"\x80\x02cnumpy\ndtype\nq\x00(".to_vec();
        p.extend(std::iter::repeat_n(b'N', 100_000));
        p.extend(b"tq\x01");
        for _ in 0..100_000 {
            p.extend(b"h\x00h\x01R");
        }
        // Refused at the first call, before any copy.
        let e = read_pickle(&p, "t.pkl").unwrap_err().to_string();
        assert!(
            e.ends_with("calls numpy.dtype with 100000 arguments"),
            "{e}"
        );
    }

    #[test]
    fn repeating_a_large_value_runs_out_of_budget() {
        // A 1000-byte string encoded 1000 times through the memo.
        let mut p = b"\x80\x02c_codecs\nencode\nq\x00".to_vec();
        p.extend(b"X\xe8\x03\x00\x00");
        p.extend([b'a'; 1000]);
        p.extend(b"q\x01X\x06\x00\x00\x00latin1q\x02");
        p.push(b'(');
        for _ in 0..1000 {
            p.extend(b"h\x00h\x01h\x02\x86R");
        }
        p.extend(b"l.");
        let e = read_pickle(&p, "b.pkl").unwrap_err().to_string();
        assert!(
            e.contains("derives more data than a few times its own size"),
            "{e}"
        );
    }
}
