//! A small RFC 4180 reader: quoted fields, doubled quotes, quoted newlines,
//! CRLF. Each record keeps the line it started on, for error messages.
//!
//! [`Records`] reads one record at a time, so a million-row asset export is
//! never held as a million field vectors at once; [`records`] collects it.

/// One record and the 1-based line it starts on.
pub type Record = (usize, Vec<String>);

/// Split `text` into records. An unterminated quote is an error at the line
/// where the quoted field began.
pub fn records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    Records::new(text).collect()
}

/// The line of the first unterminated quoted field, the error [`records`]
/// would return, found without building any field: a caller that hands rows
/// on as they are read checks this first, so a broken file yields no rows.
pub fn unterminated_quote(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut line) = (0usize, 1usize);
    // Mirrors `Records::next`: a quote opens a quoted field only while the
    // field is still empty.
    let mut field_empty = true;
    while i < b.len() {
        match b[i] {
            b'"' if field_empty => {
                let quote_line = line;
                i += 1;
                loop {
                    let Some(k) = b[i..].iter().position(|&x| x == b'"' || x == b'\n') else {
                        return Some(quote_line);
                    };
                    let j = i + k;
                    if k > 0 {
                        field_empty = false;
                    }
                    if b[j] == b'\n' {
                        line += 1;
                        field_empty = false;
                        i = j + 1;
                    } else if b.get(j + 1) == Some(&b'"') {
                        field_empty = false;
                        i = j + 2;
                    } else {
                        i = j + 1;
                        break;
                    }
                }
            }
            b',' => {
                field_empty = true;
                i += 1;
            }
            b'\r' if b.get(i + 1) == Some(&b'\n') => i += 1,
            b'\n' => {
                field_empty = true;
                line += 1;
                i += 1;
            }
            _ => {
                field_empty = false;
                i += 1;
            }
        }
    }
    None
}

/// The records of a text, one at a time. After an error it yields nothing
/// more.
pub struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Records<'a> {
    /// Read `text` from its start.
    pub fn new(text: &'a str) -> Records<'a> {
        Records {
            text,
            pos: 0,
            line: 1,
        }
    }
}

/// Bytes that end a run of plain field text outside quotes.
fn special(b: u8) -> bool {
    matches!(b, b',' | b'\n' | b'\r' | b'"')
}

impl Iterator for Records<'_> {
    type Item = Result<Record, (usize, String)>;

    fn next(&mut self) -> Option<Self::Item> {
        let text = self.text;
        let b = text.as_bytes();
        let mut rec: Vec<String> = Vec::new();
        let mut field = String::new();
        let mut rec_line = self.line;
        // Whether the record has begun: a separator or a quote counts, so
        // `,` and `""` are records of empty fields while a blank line is not.
        let mut any = false;
        while self.pos < b.len() {
            let c = b[self.pos];
            match c {
                b'"' if field.is_empty() => {
                    let quote_line = self.line;
                    any = true;
                    let mut i = self.pos + 1;
                    loop {
                        let Some(k) = b[i..].iter().position(|&x| x == b'"' || x == b'\n') else {
                            self.pos = b.len();
                            return Some(Err((quote_line, "unterminated quoted field".into())));
                        };
                        let j = i + k;
                        field.push_str(&text[i..j]);
                        if b[j] == b'\n' {
                            self.line += 1;
                            field.push('\n');
                            i = j + 1;
                        } else if b.get(j + 1) == Some(&b'"') {
                            field.push('"');
                            i = j + 2;
                        } else {
                            i = j + 1;
                            break;
                        }
                    }
                    self.pos = i;
                }
                b',' => {
                    rec.push(std::mem::take(&mut field));
                    any = true;
                    self.pos += 1;
                }
                b'\r' if b.get(self.pos + 1) == Some(&b'\n') => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    if any || !field.is_empty() {
                        rec.push(field);
                        return Some(Ok((rec_line, rec)));
                    }
                    any = false;
                    rec_line = self.line;
                }
                _ => {
                    // Plain text (or a quote or CR that is data here) up to
                    // the next byte that means something; all of those are
                    // ASCII, so the slice ends on a character boundary.
                    let end = b[self.pos + 1..]
                        .iter()
                        .position(|&x| special(x))
                        .map_or(b.len(), |k| self.pos + 1 + k);
                    field.push_str(&text[self.pos..end]);
                    any = true;
                    self.pos = end;
                }
            }
        }
        if any || !field.is_empty() {
            rec.push(field);
            return Some(Ok((rec_line, rec)));
        }
        None
    }
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

    #[test]
    fn data_quotes_and_carriage_returns() {
        // A quote inside a field and a CR not before LF are data; `""` and
        // `,` alone are records; blank lines are not.
        let r = records("ab\"c,d\re\r\n\"\"\n,\n\n\r\nx\"y\"").unwrap();
        assert_eq!(
            r,
            vec![
                (1, vec!["ab\"c".to_string(), "d\re".to_string()]),
                (2, vec![String::new()]),
                (3, vec![String::new(), String::new()]),
                (6, vec!["x\"y\"".to_string()]),
            ]
        );
        assert_eq!(records("\"a\"b,c").unwrap()[0].1, vec!["ab", "c"]);
        assert_eq!(records("é,\"ü\n\"").unwrap()[0].1, vec!["é", "ü\n"]);
        let mut it = Records::new("x\n\"open\ny\n");
        assert_eq!(it.next(), Some(Ok((1, vec!["x".to_string()]))));
        assert_eq!(
            it.next(),
            Some(Err((2, "unterminated quoted field".to_string())))
        );
        assert_eq!(it.next(), None);
    }

    /// The first, char-at-a-time reader: the reference `Records` must equal.
    fn char_reader(text: &str) -> Result<Vec<Record>, (usize, String)> {
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

    #[test]
    fn quote_check_agrees_with_the_reader() {
        // Every string of up to 7 symbols over the bytes that matter (and
        // one that does not): the reader, the first reader and the cheap
        // check agree.
        let sym = [b'a', b',', b'"', b'\n', b'\r'];
        for len in 0..=7u32 {
            for mut n in 0..sym.len().pow(len) {
                let mut s = Vec::new();
                for _ in 0..len {
                    s.push(sym[n % sym.len()]);
                    n /= sym.len();
                }
                let s = String::from_utf8(s).unwrap();
                assert_eq!(records(&s), char_reader(&s), "{s:?}");
                assert_eq!(
                    unterminated_quote(&s),
                    records(&s).err().map(|e| e.0),
                    "{s:?}"
                );
            }
        }
    }
}
