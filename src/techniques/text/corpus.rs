//! The text to learn from: the fetched movie-review snippets, a `.txt` file,
//! or a folder of them (the aclImdb layout works). Bad input becomes one
//! sentence; text that is not UTF-8 is decoded lossily with a notice.

use std::path::{Path, PathBuf};

use crate::assets::{self, Cache, Manifest};

/// The reviews as converted by the asset pipeline.
pub const REVIEWS_FILE: &str = "rotten_tomatoes_corpus_full.csv";

/// Where the text comes from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CorpusSource {
    /// Rotten Tomatoes critic snippets (fresh and rotten), plot summaries optional.
    Reviews {
        plots: bool,
        limit: Option<usize>,
    },
    File(PathBuf),
    Folder(PathBuf),
    /// Documents given directly (tests, the tuner); not written down with an
    /// autosave, so such a run is not offered for recovery.
    #[serde(skip)]
    Documents(Vec<String>),
    /// Documents for a tuner trial, which saves itself into `folder` at each
    /// epoch end.
    #[serde(skip)]
    Trial {
        documents: Vec<String>,
        folder: PathBuf,
    },
}

impl crate::job::autosave::Source for CorpusSource {
    fn own_folder(&self) -> Option<&Path> {
        match self {
            Self::Trial { folder, .. } => Some(folder),
            _ => None,
        }
    }
}

/// Loaded documents, with notices for the user.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    pub documents: Vec<String>,
    pub notices: Vec<String>,
}

/// What the panel shows about a corpus.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorpusStats {
    pub documents: usize,
    pub words: usize,
    pub distinct_words: usize,
    pub characters: usize,
}

impl Corpus {
    pub fn stats(&self) -> CorpusStats {
        let mut distinct = std::collections::HashSet::new();
        let mut words = 0;
        for doc in &self.documents {
            for word in super::vectorize::words(doc) {
                words += 1;
                distinct.insert(word);
            }
        }
        CorpusStats {
            documents: self.documents.len(),
            words,
            distinct_words: distinct.len(),
            characters: self.documents.iter().map(|d| d.chars().count()).sum(),
        }
    }
}

/// Reads a corpus; an empty or unreadable one is an error saying why.
pub fn load(source: &CorpusSource) -> anyhow::Result<Corpus> {
    let mut corpus = Corpus::default();
    match source {
        CorpusSource::Reviews { plots, limit } => {
            let text = assets::read_converted(
                &Cache::user(),
                &Manifest::bundled(),
                "reviews",
                REVIEWS_FILE,
                |path| {
                    std::fs::read_to_string(path)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
                },
            )?;
            let rows = parse_csv(&text);
            let header = rows
                .first()
                .ok_or_else(|| anyhow::anyhow!("the review file is empty"))?;
            let column = |name: &str| header.iter().position(|h| h == name);
            let (Some(category), Some(body)) = (column("category"), column("text")) else {
                anyhow::bail!("the review file lacks its category and text columns");
            };
            corpus.documents = rows[1..]
                .iter()
                .filter(|r| r.len() > category.max(body))
                .filter(|r| *plots || r[category] != "plot")
                .map(|r| r[body].clone())
                .take(limit.unwrap_or(usize::MAX))
                .collect();
        }
        CorpusSource::File(path) => read_text_file(path, &mut corpus)?,
        CorpusSource::Folder(dir) => {
            let is_txt = |p: &Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt"));
            let files = crate::files::walk(dir, is_txt)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            if files.is_empty() {
                anyhow::bail!("{}: no .txt files in this folder", dir.display());
            }
            // One binary or unreadable file is skipped and counted, not a
            // reason to refuse the folder.
            let mut skipped = Vec::new();
            for file in &files {
                if let Err(err) = read_text_file(file, &mut corpus) {
                    skipped.push(err.to_string());
                }
            }
            if let Some(first) = skipped.first() {
                corpus.notices.push(format!(
                    "{} of {} files skipped (binary or unreadable), e.g. {first}",
                    skipped.len(),
                    files.len()
                ));
            }
        }
        CorpusSource::Documents(docs)
        | CorpusSource::Trial {
            documents: docs, ..
        } => corpus.documents.clone_from(docs),
    }
    for doc in &mut corpus.documents {
        doc.replace("<br />", " ").trim().clone_into(doc);
    }
    corpus.documents.retain(|d| !d.is_empty());
    if corpus.documents.is_empty() {
        anyhow::bail!("the corpus is empty: no text to learn from");
    }
    Ok(corpus)
}

/// A `.txt` file: one document per paragraph (blank-line separated); one file
/// per review in the aclImdb layout becomes one document.
fn read_text_file(path: &Path, corpus: &mut Corpus) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let name = path.display();
    if looks_binary(&bytes) {
        anyhow::bail!("{name}: a binary file, not text");
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            corpus.notices.push(format!(
                "{name}: not UTF-8; decoded with replacement characters"
            ));
            String::from_utf8_lossy(err.as_bytes()).into_owned()
        }
    };
    let normalised = text.replace("\r\n", "\n");
    corpus.documents.extend(
        normalised
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")),
    );
    Ok(())
}

/// NUL bytes, or many control characters, in the first 8 KiB.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    head.contains(&0) || controls * 10 > head.len().max(1)
}

/// Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, newlines in quotes).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (_, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_commas_and_newlines() {
        let rows = parse_csv("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\nlast,row");
        assert_eq!(rows[1], ["x, \"y\"", "two\nlines"]);
        assert_eq!(rows[2], ["last", "row"]);
    }

    #[test]
    fn bad_text_inputs_say_why() {
        let dir = std::env::temp_dir().join(format!("ls-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.txt");
        std::fs::write(&empty, "  \n\n ").unwrap();
        let err = load(&CorpusSource::File(empty)).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let binary = dir.join("blob.txt");
        std::fs::write(&binary, [0u8, 1, 2, 3, 0, 200, 7]).unwrap();
        let err = load(&CorpusSource::File(binary)).unwrap_err().to_string();
        assert!(err.contains("binary"), "{err}");
        let latin1 = dir.join("latin1.txt");
        std::fs::write(&latin1, b"caf\xe9 au lait<br />was great").unwrap();
        let corpus = load(&CorpusSource::File(latin1)).unwrap();
        assert_eq!(corpus.documents, ["caf\u{fffd} au lait was great"]);
        assert!(corpus.notices[0].contains("UTF-8"));
        let err = load(&CorpusSource::Folder(dir.join("nothing")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nothing"), "{err}");
        // In a folder the binary file is skipped and counted; the rest loads.
        let corpus = load(&CorpusSource::Folder(dir.clone())).unwrap();
        assert_eq!(corpus.documents, ["caf\u{fffd} au lait was great"]);
        assert!(
            corpus
                .notices
                .iter()
                .any(|n| n.contains("1 of 3 files skipped")),
            "{:?}",
            corpus.notices
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
