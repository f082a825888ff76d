//! Tokens of the Prisma schema language. Newlines are tokens: a field, a property or an enum
//! value ends at the end of its line. Comments are kept apart (doc comments `///` belong to the
//! item below them).

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A name: `model`, `String`, `db`, `created_at`, `my-generator`.
    Ident(String),
    /// A string literal, unescaped.
    Str(String),
    /// A number as written: `42`, `-1`, `3.14`.
    Number(String),
    /// `///` doc comment text, without the slashes.
    Doc(String),
    Newline,
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Equals,
    Comma,
    Colon,
    Question,
    Dot,
    /// `@`
    At,
    /// `@@`
    AtAt,
}

impl Token {
    /// How the token reads in a message.
    pub(super) fn describe(&self) -> String {
        match self {
            Token::Ident(s) => format!("`{s}`"),
            Token::Str(s) => format!("string \"{s}\""),
            Token::Number(n) => format!("number {n}"),
            Token::Doc(_) => "a doc comment".into(),
            Token::Newline => "end of line".into(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::Equals => "=",
            Token::Comma => ",",
            Token::Colon => ":",
            Token::Question => "?",
            Token::Dot => ".",
            Token::At => "@",
            Token::AtAt => "@@",
            _ => "",
        }
    }
}

/// A token and the bytes of the file it was read from.
#[derive(Debug, Clone)]
pub(super) struct Spanned {
    pub token: Token,
    pub span: Range<usize>,
}

/// A lexing error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

/// Splits `text` into tokens. Plain `//` comments are dropped.
pub(super) fn lex(text: &str) -> Result<Vec<Spanned>, LexError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = |t: Token| Spanned {
            token: t,
            span: start..start + 1,
        };
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' => {
                out.push(single(Token::Newline));
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                if bytes.get(i + 2) == Some(&b'/') {
                    out.push(Spanned {
                        token: Token::Doc(text[i + 3..end].trim().to_string()),
                        span: i..end,
                    });
                }
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // A block comment; its newlines still end lines.
                let end = text[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .ok_or(LexError {
                        offset: i,
                        message: "unterminated comment: close it with `*/`".into(),
                    })?;
                out.extend(text[i..end].match_indices('\n').map(|(n, _)| Spanned {
                    token: Token::Newline,
                    span: i + n..i + n + 1,
                }));
                i = end;
            }
            b'"' => {
                let (value, end) = string(text, i)?;
                out.push(Spanned {
                    token: Token::Str(value),
                    span: i..end,
                });
                i = end;
            }
            b'{' | b'}' | b'(' | b')' | b'[' | b']' | b'=' | b',' | b':' | b'?' | b'.' => {
                out.push(single(match c {
                    b'{' => Token::LBrace,
                    b'}' => Token::RBrace,
                    b'(' => Token::LParen,
                    b')' => Token::RParen,
                    b'[' => Token::LBracket,
                    b']' => Token::RBracket,
                    b'=' => Token::Equals,
                    b',' => Token::Comma,
                    b':' => Token::Colon,
                    b'?' => Token::Question,
                    _ => Token::Dot,
                }));
                i += 1;
            }
            b'@' => {
                if bytes.get(i + 1) == Some(&b'@') {
                    out.push(Spanned {
                        token: Token::AtAt,
                        span: i..i + 2,
                    });
                    i += 2;
                } else {
                    out.push(single(Token::At));
                    i += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                let mut end = i + 1;
                while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                    end += 1;
                }
                if c == b'-' && end == i + 1 {
                    return Err(LexError {
                        offset: i,
                        message: "unexpected `-`".into(),
                    });
                }
                // `1abc` is a name that starts with a digit (the validator refuses it later).
                if end < bytes.len() && is_name_byte(bytes[end]) && c != b'-' {
                    let end = name_end(bytes, i);
                    out.push(Spanned {
                        token: Token::Ident(text[i..end].to_string()),
                        span: i..end,
                    });
                    i = end;
                    continue;
                }
                out.push(Spanned {
                    token: Token::Number(text[i..end].to_string()),
                    span: i..end,
                });
                i = end;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = name_end(bytes, i);
                out.push(Spanned {
                    token: Token::Ident(text[i..end].to_string()),
                    span: i..end,
                });
                i = end;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(LexError {
                    offset: i,
                    message: format!("unexpected character `{}`", ch.escape_debug()),
                });
            }
        }
    }
    Ok(out)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn name_end(bytes: &[u8], from: usize) -> usize {
    let mut end = from;
    while end < bytes.len() && is_name_byte(bytes[end]) {
        end += 1;
    }
    end
}

/// A string literal starting at the quote at `start`: its value and the byte after it.
fn string(text: &str, start: usize) -> Result<(String, usize), LexError> {
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, start + 1 + i + 1)),
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, '0')) => value.push('\0'),
                Some((j, 'u')) => {
                    let hex: String = text[start + 1 + j + 1..].chars().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| LexError {
                            offset: start + 1 + j - 1,
                            message: "invalid \\u escape: write four hex digits".into(),
                        })?;
                    value.push(code);
                    for _ in 0..4 {
                        chars.next();
                    }
                }
                Some((_, other)) => value.push(other),
                None => break,
            },
            c => value.push(c),
        }
    }
    Err(LexError {
        offset: start,
        message: "unterminated string: close it with `\"` on the same line".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        lex(text).unwrap().into_iter().map(|s| s.token).collect()
    }

    #[test]
    fn reads_a_field_line() {
        assert_eq!(
            tokens("  id Int @id @default(autoincrement()) // note\n"),
            vec![
                Token::Ident("id".into()),
                Token::Ident("Int".into()),
                Token::At,
                Token::Ident("id".into()),
                Token::At,
                Token::Ident("default".into()),
                Token::LParen,
                Token::Ident("autoincrement".into()),
                Token::LParen,
                Token::RParen,
                Token::RParen,
                Token::Newline,
            ]
        );
    }

    #[test]
    fn strings_numbers_and_docs() {
        assert_eq!(
            tokens("/// The user\nx \"a\\\"b\\u00e9\" -1.5 @@map"),
            vec![
                Token::Doc("The user".into()),
                Token::Newline,
                Token::Ident("x".into()),
                Token::Str("a\"bé".into()),
                Token::Number("-1.5".into()),
                Token::AtAt,
                Token::Ident("map".into()),
            ]
        );
    }

    #[test]
    fn unterminated_string_is_located() {
        let e = lex("url = \"postgres://x\n").unwrap_err();
        assert_eq!(e.offset, 6);
    }
}
