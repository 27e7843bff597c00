//! The `.sav` writer of the example exports (and a way to hand lyhord data to SPSS users):
//! bytecode-compressed, UTF-8, numeric codes with labels and user-missing codes, or text.

use super::BIAS;
use crate::error::ImportError;

/// The system-missing value as this writer stores it.
const SYSMIS: f64 = -f64::MAX;

/// A variable to write: numeric codes with labels and user-missing codes, or text.
#[derive(Debug, Clone)]
pub struct WriteVariable {
    pub name: String,
    pub label: Option<String>,
    pub values: WriteValues,
    pub value_labels: Vec<(f64, String)>,
    pub user_missing: Vec<f64>,
}

#[derive(Debug, Clone)]
pub enum WriteValues {
    Numbers(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

/// Writes a bytecode-compressed UTF-8 `.sav` (what SPSS writes by default).
pub fn write(variables: &[WriteVariable], file_label: &str) -> Result<Vec<u8>, ImportError> {
    let n = variables
        .first()
        .map(|v| values_len(&v.values))
        .unwrap_or(0);
    if let Some(v) = variables.iter().find(|v| values_len(&v.values) != n) {
        return Err(ImportError::Parameter {
            parameter: "variables".into(),
            message: format!(
                "variable {:?} has {} values, the first has {n}",
                v.name,
                values_len(&v.values)
            ),
        });
    }
    let widths: Vec<usize> = variables.iter().map(string_width).collect();
    if let Some((v, _)) = variables.iter().zip(&widths).find(|(_, &w)| w > 255) {
        return Err(ImportError::Parameter {
            parameter: "variables".into(),
            message: format!(
                "text variable {:?} is longer than 255 bytes, which this writer does not split",
                v.name
            ),
        });
    }
    let elements: usize = widths
        .iter()
        .map(|&w| if w == 0 { 1 } else { w.div_ceil(8) })
        .sum();
    let mut out = Vec::new();
    write_header(&mut out, elements, n, file_label);
    for (i, (v, &w)) in variables.iter().zip(&widths).enumerate() {
        write_variable(&mut out, &format!("V{}", i + 1), v, w);
    }
    write_value_labels(&mut out, variables, &widths);
    write_extensions(&mut out, variables);
    put_i32(&mut out, 999);
    put_i32(&mut out, 0);
    write_cases(&mut out, variables, &widths, n);
    Ok(out)
}

fn values_len(v: &WriteValues) -> usize {
    match v {
        WriteValues::Numbers(x) => x.len(),
        WriteValues::Text(x) => x.len(),
    }
}

/// 0 for numbers; for text the longest value in bytes, at least 1.
fn string_width(v: &WriteVariable) -> usize {
    match &v.values {
        WriteValues::Numbers(_) => 0,
        WriteValues::Text(x) => x
            .iter()
            .flatten()
            .map(|s| s.len())
            .max()
            .unwrap_or(1)
            .max(1),
    }
}

fn put_i32(out: &mut Vec<u8>, x: i32) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_padded(out: &mut Vec<u8>, s: &[u8], len: usize) {
    let s = &s[..s.len().min(len)];
    out.extend_from_slice(s);
    out.extend(std::iter::repeat_n(b' ', len - s.len()));
}

fn write_header(out: &mut Vec<u8>, elements: usize, n: usize, label: &str) {
    out.extend_from_slice(b"$FL2");
    put_padded(out, b"@(#) SPSS DATA FILE lyhord", 60);
    put_i32(out, 2);
    put_i32(out, elements as i32);
    put_i32(out, 1);
    put_i32(out, 0);
    put_i32(out, n as i32);
    put_f64(out, BIAS);
    put_padded(out, b"01 Jan 26", 9);
    put_padded(out, b"00:00:00", 8);
    put_padded(out, label.as_bytes(), 64);
    put_padded(out, b"", 3);
}

fn write_variable(out: &mut Vec<u8>, short: &str, v: &WriteVariable, width: usize) {
    put_i32(out, 2);
    put_i32(out, width as i32);
    put_i32(out, v.label.is_some() as i32);
    let numeric = width == 0;
    let missing = if numeric {
        v.user_missing.len().min(3)
    } else {
        0
    };
    put_i32(out, missing as i32);
    // Print/write formats: F8.0 for codes, A<width> for text.
    let format = if numeric {
        (5 << 16) | (8 << 8)
    } else {
        (1 << 16) | ((width as i32) << 8)
    };
    put_i32(out, format);
    put_i32(out, format);
    put_padded(out, short.as_bytes(), 8);
    if let Some(label) = &v.label {
        let bytes = &label.as_bytes()[..label.len().min(255)];
        put_i32(out, bytes.len() as i32);
        put_padded(out, bytes, bytes.len().div_ceil(4) * 4);
    }
    for &m in v.user_missing.iter().take(missing) {
        put_f64(out, m);
    }
    for _ in 1..width.div_ceil(8).max(1) {
        put_i32(out, 2);
        put_i32(out, -1);
        put_i32(out, 0);
        put_i32(out, 0);
        put_i32(out, (1 << 16) | (8 << 8));
        put_i32(out, (1 << 16) | (8 << 8));
        put_padded(out, b"", 8);
    }
}

fn write_value_labels(out: &mut Vec<u8>, variables: &[WriteVariable], widths: &[usize]) {
    let mut index = 1;
    for (v, &w) in variables.iter().zip(widths) {
        if w == 0 && !v.value_labels.is_empty() {
            put_i32(out, 3);
            put_i32(out, v.value_labels.len() as i32);
            for (code, label) in &v.value_labels {
                put_f64(out, *code);
                let bytes = &label.as_bytes()[..label.len().min(120)];
                out.push(bytes.len() as u8);
                put_padded(out, bytes, (bytes.len() + 1).div_ceil(8) * 8 - 1);
            }
            put_i32(out, 4);
            put_i32(out, 1);
            put_i32(out, index);
        }
        index += if w == 0 { 1 } else { w.div_ceil(8) as i32 };
    }
}

fn write_extensions(out: &mut Vec<u8>, variables: &[WriteVariable]) {
    // Machine integer info: version, machine, IEEE floats, compression, little-endian, UTF-8.
    put_i32(out, 7);
    put_i32(out, 3);
    put_i32(out, 4);
    put_i32(out, 8);
    for x in [1, 0, 0, -1, 1, 1, 2, 65001] {
        put_i32(out, x);
    }
    put_i32(out, 7);
    put_i32(out, 4);
    put_i32(out, 8);
    put_i32(out, 3);
    put_f64(out, SYSMIS);
    put_f64(out, f64::MAX);
    put_f64(out, -f64::MAX);
    let long_names: Vec<String> = variables
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{}={}", i + 1, v.name))
        .collect();
    let long_names = long_names.join("\t");
    put_extension(out, 13, long_names.as_bytes());
    put_extension(out, 20, b"UTF-8");
}

fn put_extension(out: &mut Vec<u8>, subtype: i32, data: &[u8]) {
    put_i32(out, 7);
    put_i32(out, subtype);
    put_i32(out, 1);
    put_i32(out, data.len() as i32);
    out.extend_from_slice(data);
}

/// Bytecode compression: whole numbers −99…151 as one code byte, others as 8 raw bytes.
fn write_cases(out: &mut Vec<u8>, variables: &[WriteVariable], widths: &[usize], n: usize) {
    let mut codes: Vec<u8> = Vec::with_capacity(8);
    let mut data: Vec<u8> = Vec::with_capacity(64);
    let push = |code: u8,
                raw: Option<&[u8]>,
                out: &mut Vec<u8>,
                codes: &mut Vec<u8>,
                data: &mut Vec<u8>| {
        codes.push(code);
        if let Some(r) = raw {
            data.extend_from_slice(r);
        }
        if codes.len() == 8 {
            out.extend_from_slice(codes);
            out.extend_from_slice(data);
            codes.clear();
            data.clear();
        }
    };
    for row in 0..n {
        for (v, &w) in variables.iter().zip(widths) {
            match &v.values {
                WriteValues::Numbers(x) => match x[row] {
                    None => push(255, None, out, &mut codes, &mut data),
                    Some(x) if x.fract() == 0.0 && (-99.0..=151.0).contains(&x) => {
                        push((x + BIAS) as u8, None, out, &mut codes, &mut data)
                    }
                    Some(x) => push(253, Some(&x.to_le_bytes()), out, &mut codes, &mut data),
                },
                WriteValues::Text(t) => {
                    let mut bytes = t[row].clone().unwrap_or_default().into_bytes();
                    bytes.resize(w.div_ceil(8) * 8, b' ');
                    for chunk in bytes.chunks(8) {
                        if chunk == b"        " {
                            push(254, None, out, &mut codes, &mut data);
                        } else {
                            push(253, Some(chunk), out, &mut codes, &mut data);
                        }
                    }
                }
            }
        }
    }
    if !codes.is_empty() {
        codes.push(252);
        codes.resize(8, 0);
        out.extend_from_slice(&codes);
        out.extend_from_slice(&data);
    }
}
