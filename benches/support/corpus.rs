// Shared by several benches; each uses part of it.
#![allow(dead_code)]

//! A library of real-looking prompts, the same for a given seed on every machine: titles of
//! a few words, bodies from a sentence to a few paragraphs (and one in thirty a long system
//! prompt of 5-20k characters), a tag or two. Bodies draw on a vocabulary of some thousands
//! of words, a few common and most rare, as text does.

use promptdeck_protocol::{CreatePrompt, Mutation, Prompt, PromptId};

const WORDS: &[&str] = &[
    "summarize",
    "article",
    "meeting",
    "notes",
    "review",
    "code",
    "diff",
    "explain",
    "function",
    "translate",
    "french",
    "email",
    "reply",
    "polite",
    "decline",
    "invitation",
    "write",
    "tests",
    "refactor",
    "module",
    "rust",
    "python",
    "sql",
    "query",
    "optimize",
    "performance",
    "bug",
    "report",
    "customer",
    "support",
    "answer",
    "question",
    "marketing",
    "copy",
    "landing",
    "page",
    "product",
    "description",
    "blog",
    "post",
    "outline",
    "title",
    "ideas",
    "brainstorm",
    "list",
    "steps",
    "plan",
    "project",
    "roadmap",
    "quarter",
    "goals",
    "feedback",
    "design",
    "document",
    "architecture",
    "api",
    "endpoint",
    "error",
    "handling",
    "logging",
    "security",
    "audit",
    "privacy",
    "policy",
    "contract",
    "legal",
    "terms",
    "simplify",
    "language",
    "child",
    "expert",
    "tone",
    "formal",
    "casual",
    "friendly",
    "concise",
    "detailed",
    "bullet",
    "points",
    "table",
    "compare",
    "options",
    "pros",
    "cons",
    "decision",
    "interview",
    "candidate",
    "job",
    "posting",
    "resume",
    "cover",
    "letter",
    "lesson",
    "teach",
    "quiz",
    "students",
    "recipe",
    "dinner",
    "travel",
    "itinerary",
    "budget",
    "spreadsheet",
    "formula",
    "regex",
    "shell",
    "script",
    "docker",
    "deploy",
    "kubernetes",
    "commit",
    "message",
    "changelog",
    "release",
    "announce",
];
const TAGS: &[&str] = &["work", "code", "writing", "email", "personal", "research", "ops"];

/// Syllables of the rarer words.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "tas", "vo", "bri", "sel", "dun", "ar", "qui", "po", "zan", "ter",
    "wil", "ex", "gra", "mon", "ste", "ful", "cap", "ri", "os", "bel", "nor", "ith", "pla", "ved",
];
/// Rarer words than [`WORDS`]: made from syllables, the same on every machine.
const RARE_WORDS: usize = 6_000;

/// Titles: the common words people name prompts with.
fn words(rng: &mut fastrand::Rng, count: usize) -> String {
    (0..count).map(|_| WORDS[rng.usize(..WORDS.len())]).collect::<Vec<_>>().join(" ")
}

/// The `n`th rare word, the `n`th most frequent of them.
pub fn rare_word(mut n: usize) -> String {
    let mut word = String::new();
    for _ in 0..3 {
        word.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    word
}

/// Body text: half common words, half rare ones drawn as text draws them (the `k`th most
/// frequent about 1/k as often as the first).
fn text(rng: &mut fastrand::Rng, count: usize) -> String {
    let mut out = String::new();
    for _ in 0..count {
        if !out.is_empty() {
            out.push(' ');
        }
        match rng.bool() {
            true => out.push_str(WORDS[rng.usize(..WORDS.len())]),
            false => {
                let rank = (RARE_WORDS as f64).powf(rng.f64()) as usize - 1;
                out.push_str(&rare_word(rank.min(RARE_WORDS - 1)));
            }
        }
    }
    out
}

/// How many words a body has: most a sentence or a few paragraphs, one in thirty a long
/// system prompt of some 5-20k characters.
fn body_words(rng: &mut fastrand::Rng) -> usize {
    match rng.u8(..) {
        0..=7 => rng.usize(700..2_800),
        8..=199 => rng.usize(10..80),
        _ => rng.usize(80..600),
    }
}

/// `n` createPrompt mutations with ids `p0000000`, `p0000001`, ...
pub fn creates(n: usize, seed: u64) -> Vec<Mutation> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|i| {
            let title_words = rng.usize(2..7);
            let title = words(&mut rng, title_words);
            let body_words = body_words(&mut rng);
            let body = text(&mut rng, body_words);
            let tags =
                (0..rng.usize(0..3)).map(|_| TAGS[rng.usize(..TAGS.len())].to_owned()).collect();
            let id = PromptId::parse(format!("p{i:07}")).expect("valid id");
            Mutation::CreatePrompt(CreatePrompt { id, title, body, tags, created_at: i as i64 })
        })
        .collect()
}

/// The same library as full prompts, for building a search index directly.
pub fn prompts(n: usize, seed: u64) -> Vec<Prompt> {
    creates(n, seed)
        .into_iter()
        .map(|m| {
            let Mutation::CreatePrompt(c) = m else { unreachable!("creates only") };
            Prompt {
                id: c.id,
                title: c.title,
                body: c.body,
                tags: c.tags,
                created_at: c.created_at,
                updated_at: c.created_at,
                use_count: 0,
                last_used_at: None,
                extra: Default::default(),
            }
        })
        .collect()
}

/// Writes `n` prompts into the profile at `data_dir`, as the app would find them.
pub fn seed_profile(data_dir: &std::path::Path, n: usize) {
    let (replica, _) =
        promptdeck_storage::Replica::open(data_dir.join("library.redb")).expect("opens");
    for chunk in creates(n, 7).chunks(10_000) {
        replica.mutate_all(chunk, 0.0).expect("seeds");
    }
}
