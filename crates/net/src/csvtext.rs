//! A small RFC 4180 reader: quoted fields, doubled quotes, quoted newlines,
//! CRLF. Each record keeps the line it started on, for error messages.

/// One record and the 1-based line it starts on.
pub type Record = (usize, Vec<String>);

/// Split `text` into records. An unterminated quote is an error at the line
/// where the quoted field began.
pub fn records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut rec: Vec<String> = Vec::new();
    let mut line = 1usize;
    let mut rec_line = 1usize;
    let mut in_quotes = false;
    let mut quote_line = 0usize;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
                any = true;
            }
            ',' => {
                rec.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if any || !field.is_empty() {
                    rec.push(std::mem::take(&mut field));
                    out.push((rec_line, std::mem::take(&mut rec)));
                }
                any = false;
                line += 1;
                rec_line = line;
            }
            _ => {
                field.push(c);
                any = true;
            }
        }
    }
    if in_quotes {
        return Err((quote_line, "unterminated quoted field".into()));
    }
    if any || !field.is_empty() {
        rec.push(field);
        out.push((rec_line, rec));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let r = records("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"multi\nline\",z\n").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], (1, vec!["a".to_string(), "b".to_string()]));
        assert_eq!(r[1].1, vec!["x, y", "say \"hi\""]);
        assert_eq!(r[2], (4, vec!["multi\nline".to_string(), "z".to_string()]));
        assert_eq!(records("a,\"b\n").unwrap_err().0, 1);
        assert_eq!(records("a,").unwrap()[0].1, vec!["a", ""]);
    }
}
