//! The mutators: `createPrompt`, `updatePrompt`, `deletePrompt`, `markPromptUsed`, and
//! `learnPick` and `forgetLearned` for what the palette learns (sent only to a backend that
//! says it runs them).
//!
//! A [`Mutation`] serialises to `{"name": ..., "args": ...}` with exactly the argument
//! shapes a JavaScript client registers, so the same pending mutation can be pushed by
//! either client and replayed by either.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::kv::{Kv, KvError};
use crate::learned::{self, LEARNED_PREFIX, LearnedPicks};
use crate::limits::{self, ValidationError};
use crate::prompt::{Prompt, PromptId};

/// `createPrompt {id, title, body, tags, createdAt}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePrompt {
    pub id: PromptId,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: i64,
}

/// `updatePrompt {id, title?, body?, tags?, updatedAt}`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePrompt {
    pub id: PromptId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    pub updated_at: i64,
}

/// `deletePrompt {id}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletePrompt {
    pub id: PromptId,
}

/// `markPromptUsed {id, at}`: one more use, for frecency on every device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkPromptUsed {
    pub id: PromptId,
    pub at: i64,
}

/// `learnPick {query, id, at}`: `id` was picked in the palette for `query`, so it leads
/// that query's hits on every device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnPick {
    pub query: String,
    pub id: PromptId,
    pub at: i64,
}

/// `forgetLearned {}`: everything learned in the space is forgotten.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForgetLearned {}

/// One mutator call, as stored in the pending queue and sent in a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "args", rename_all = "camelCase")]
pub enum Mutation {
    CreatePrompt(CreatePrompt),
    UpdatePrompt(UpdatePrompt),
    DeletePrompt(DeletePrompt),
    MarkPromptUsed(MarkPromptUsed),
    LearnPick(LearnPick),
    ForgetLearned(ForgetLearned),
}

/// The keys a mutation may read and write: one, or every key under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touches {
    Key(String),
    Prefix(&'static str),
}

/// Why a mutation could not be applied. A mutation that fails on replay (say, an update of
/// a prompt deleted elsewhere) simply has no effect; it is never retried forever.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MutatorError {
    #[error("unknown mutator {0:?}")]
    UnknownMutator(String),
    #[error("bad arguments for {name}: {reason}")]
    BadArguments { name: String, reason: String },
    #[error("no prompt with id {0}")]
    NotFound(PromptId),
    #[error("a prompt with id {0} already exists")]
    AlreadyExists(PromptId),
    #[error("the stored prompt {0} is unreadable: {1}")]
    CorruptValue(PromptId, String),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Kv(#[from] KvError),
}

impl Mutation {
    /// The mutator's registered name (`createPrompt`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreatePrompt(_) => "createPrompt",
            Self::UpdatePrompt(_) => "updatePrompt",
            Self::DeletePrompt(_) => "deletePrompt",
            Self::MarkPromptUsed(_) => "markPromptUsed",
            Self::LearnPick(_) => "learnPick",
            Self::ForgetLearned(_) => "forgetLearned",
        }
    }

    /// Every mutator's name, as a backend that runs them all lists them.
    pub const NAMES: [&'static str; 6] = [
        "createPrompt",
        "updatePrompt",
        "deletePrompt",
        "markPromptUsed",
        "learnPick",
        "forgetLearned",
    ];

    /// The mutator's arguments as the wire carries them.
    pub fn args(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => map.remove("args").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Rebuilds a mutation from a push's `name` and `args`.
    pub fn from_parts(name: &str, args: Value) -> Result<Self, MutatorError> {
        if !Self::NAMES.contains(&name) {
            return Err(MutatorError::UnknownMutator(name.to_owned()));
        }
        serde_json::from_value(json!({ "name": name, "args": args })).map_err(|e| {
            MutatorError::BadArguments { name: name.to_owned(), reason: e.to_string() }
        })
    }

    /// The prompt this mutation writes, if it writes one.
    pub fn prompt_id(&self) -> Option<&PromptId> {
        match self {
            Self::CreatePrompt(m) => Some(&m.id),
            Self::UpdatePrompt(m) => Some(&m.id),
            Self::DeletePrompt(m) => Some(&m.id),
            Self::MarkPromptUsed(m) => Some(&m.id),
            Self::LearnPick(_) | Self::ForgetLearned(_) => None,
        }
    }

    /// The keys this mutation may read and write. A `learnPick` of a query that cannot be
    /// learned touches its would-be key, which it leaves alone.
    pub fn touches(&self) -> Touches {
        match (self.prompt_id(), self) {
            (Some(id), _) => Touches::Key(id.key()),
            (None, Self::LearnPick(m)) => {
                Touches::Key(learned::key(&learned::normalize(&m.query).unwrap_or_default()))
            }
            (None, _) => Touches::Prefix(LEARNED_PREFIX),
        }
    }

    /// Checks the fields against [`crate::Limits`] without touching any store.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::CreatePrompt(m) => {
                limits::check_title(&m.title)?;
                limits::check_body(&m.body)?;
                limits::check_tags(&m.tags)
            }
            Self::UpdatePrompt(m) => {
                m.title.as_deref().map_or(Ok(()), limits::check_title)?;
                m.body.as_deref().map_or(Ok(()), limits::check_body)?;
                m.tags.as_deref().map_or(Ok(()), limits::check_tags)
            }
            Self::DeletePrompt(_)
            | Self::MarkPromptUsed(_)
            | Self::LearnPick(_)
            | Self::ForgetLearned(_) => Ok(()),
        }
    }

    /// Runs the mutator against `kv`. On error nothing the mutator wrote may be kept: the
    /// caller discards the transaction.
    pub fn apply(&self, kv: &mut impl Kv) -> Result<(), MutatorError> {
        self.validate()?;
        match self {
            Self::CreatePrompt(m) => create(kv, m),
            Self::UpdatePrompt(m) => update(kv, m),
            Self::DeletePrompt(m) => kv.del(&m.id.key()).map_err(Into::into),
            Self::MarkPromptUsed(m) => mark_used(kv, m),
            Self::LearnPick(m) => learn_pick(kv, m),
            Self::ForgetLearned(_) => forget_learned(kv),
        }
    }
}

/// A query that cannot be learned (empty, or longer than anyone retypes) is refused; a
/// damaged value under the query's key is replaced.
fn learn_pick(kv: &mut impl Kv, args: &LearnPick) -> Result<(), MutatorError> {
    let Some(query) = learned::normalize(&args.query) else {
        return Err(MutatorError::BadArguments {
            name: "learnPick".into(),
            reason: format!("a query is learned with 1 to {} characters", learned::MAX_QUERY_CHARS),
        });
    };
    let key = learned::key(&query);
    let mut picks = kv.get(&key)?.and_then(|v| LearnedPicks::from_value(&v)).unwrap_or_default();
    learned::put_first(&mut picks.picks, args.id.clone(), args.at);
    let value = serde_json::to_value(&picks).map_err(|e| MutatorError::BadArguments {
        name: "learnPick".into(),
        reason: e.to_string(),
    })?;
    kv.put(&key, value)?;
    Ok(())
}

fn forget_learned(kv: &mut impl Kv) -> Result<(), MutatorError> {
    for key in kv.keys(LEARNED_PREFIX)? {
        kv.del(&key)?;
    }
    Ok(())
}

fn create(kv: &mut impl Kv, args: &CreatePrompt) -> Result<(), MutatorError> {
    let key = args.id.key();
    if kv.get(&key)?.is_some() {
        return Err(MutatorError::AlreadyExists(args.id.clone()));
    }
    let prompt = Prompt {
        id: args.id.clone(),
        title: args.title.clone(),
        body: args.body.clone(),
        tags: args.tags.clone(),
        created_at: args.created_at,
        updated_at: args.created_at,
        use_count: 0,
        last_used_at: None,
        extra: Map::new(),
    };
    put_prompt(kv, &prompt)
}

fn update(kv: &mut impl Kv, args: &UpdatePrompt) -> Result<(), MutatorError> {
    let mut prompt = load(kv, &args.id)?;
    if let Some(title) = &args.title {
        prompt.title = title.clone();
    }
    if let Some(body) = &args.body {
        prompt.body = body.clone();
    }
    if let Some(tags) = &args.tags {
        prompt.tags = tags.clone();
    }
    prompt.updated_at = args.updated_at;
    put_prompt(kv, &prompt)
}

/// Using a prompt that was deleted meanwhile is not an error: there is nothing to rank.
fn mark_used(kv: &mut impl Kv, args: &MarkPromptUsed) -> Result<(), MutatorError> {
    let mut prompt = match load(kv, &args.id) {
        Ok(prompt) => prompt,
        Err(MutatorError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    prompt.use_count += 1;
    prompt.last_used_at = Some(prompt.last_used_at.map_or(args.at, |last| last.max(args.at)));
    put_prompt(kv, &prompt)
}

fn load(kv: &impl Kv, id: &PromptId) -> Result<Prompt, MutatorError> {
    let value = kv.get(&id.key())?.ok_or_else(|| MutatorError::NotFound(id.clone()))?;
    serde_json::from_value(value).map_err(|e| MutatorError::CorruptValue(id.clone(), e.to_string()))
}

fn put_prompt(kv: &mut impl Kv, prompt: &Prompt) -> Result<(), MutatorError> {
    let value = serde_json::to_value(prompt)
        .map_err(|e| MutatorError::CorruptValue(prompt.id.clone(), e.to_string()))?;
    kv.put(&prompt.id.key(), value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryKv;
    use crate::limits::Limits;
    use proptest::prelude::*;

    fn id(s: &str) -> PromptId {
        PromptId::parse(s).expect("valid id")
    }

    fn create_args(name: &str) -> Mutation {
        Mutation::CreatePrompt(CreatePrompt {
            id: id(name),
            title: format!("title {name}"),
            body: format!("body {name}"),
            tags: vec!["t".into()],
            created_at: 10,
        })
    }

    fn prompt(kv: &MemoryKv, name: &str) -> Option<Prompt> {
        let value = kv.get(&id(name).key()).expect("memory kv never fails")?;
        Some(serde_json::from_value(value).expect("stored prompt parses"))
    }

    #[test]
    fn mutations_serialise_as_name_and_args_like_the_web_client() {
        let m = Mutation::UpdatePrompt(UpdatePrompt {
            id: id("a"),
            title: Some("New".into()),
            body: None,
            tags: None,
            updated_at: 5,
        });
        assert_eq!(
            serde_json::to_value(&m).expect("serialises"),
            json!({"name": "updatePrompt", "args": {"id": "a", "title": "New", "updatedAt": 5}})
        );
        assert_eq!(m.args(), json!({"id": "a", "title": "New", "updatedAt": 5}));
        assert_eq!(Mutation::from_parts(m.name(), m.args()), Ok(m));
    }

    #[test]
    fn unknown_mutators_and_bad_arguments_are_named_in_the_error() {
        assert_eq!(
            Mutation::from_parts("dropTables", json!({})),
            Err(MutatorError::UnknownMutator("dropTables".into()))
        );
        let err = Mutation::from_parts("deletePrompt", json!({"id": 7})).expect_err("refused");
        assert!(err.to_string().contains("deletePrompt"), "{err}");
    }

    #[test]
    fn create_then_update_keeps_unchanged_fields() {
        let mut kv = MemoryKv::default();
        create_args("a").apply(&mut kv).expect("created");
        Mutation::UpdatePrompt(UpdatePrompt {
            id: id("a"),
            title: None,
            body: Some("new body".into()),
            tags: None,
            updated_at: 20,
        })
        .apply(&mut kv)
        .expect("updated");
        let p = prompt(&kv, "a").expect("exists");
        assert_eq!((p.title.as_str(), p.body.as_str()), ("title a", "new body"));
        assert_eq!((p.created_at, p.updated_at), (10, 20));
        assert_eq!(p.tags, vec!["t".to_string()]);
    }

    #[test]
    fn creating_an_existing_id_fails_and_changes_nothing() {
        let mut kv = MemoryKv::default();
        create_args("a").apply(&mut kv).expect("created");
        let before = kv.clone();
        assert_eq!(create_args("a").apply(&mut kv), Err(MutatorError::AlreadyExists(id("a"))));
        assert_eq!(kv, before);
    }

    #[test]
    fn updating_a_missing_prompt_is_not_found_but_marking_it_used_is_harmless() {
        let mut kv = MemoryKv::default();
        let update = Mutation::UpdatePrompt(UpdatePrompt {
            id: id("gone"),
            title: Some("x".into()),
            body: None,
            tags: None,
            updated_at: 1,
        });
        assert_eq!(update.apply(&mut kv), Err(MutatorError::NotFound(id("gone"))));
        let used = Mutation::MarkPromptUsed(MarkPromptUsed { id: id("gone"), at: 1 });
        assert_eq!(used.apply(&mut kv), Ok(()));
        assert!(kv.0.is_empty());
    }

    #[test]
    fn learning_puts_the_latest_pick_first_and_forgetting_leaves_the_prompts() {
        let mut kv = MemoryKv::default();
        create_args("a").apply(&mut kv).expect("created");
        let learn = |query: &str, name: &str, at| {
            Mutation::LearnPick(LearnPick { query: query.into(), id: id(name), at })
        };
        for (name, at) in [("a", 1), ("b", 2), ("c", 3), ("a", 4), ("d", 5)] {
            learn(" Stand  Up", name, at).apply(&mut kv).expect("learned");
        }
        learn("mail", "a", 6).apply(&mut kv).expect("learned");
        let stored = kv.get("learned/stand up").expect("read").expect("learned under its key");
        let picks = LearnedPicks::from_value(&stored).expect("picks");
        let ids: Vec<&str> = picks.picks.iter().map(|p| p.prompt.as_str()).collect();
        assert_eq!(ids, ["d", "a", "c"], "the latest first, three at most");
        assert_eq!(learn("stand up", "a", 1).touches(), Touches::Key("learned/stand up".into()));
        let err = learn(&"x".repeat(65), "a", 7).apply(&mut kv).expect_err("too long to learn");
        assert!(err.to_string().contains("learnPick"), "{err}");

        let forget = Mutation::from_parts("forgetLearned", json!({})).expect("known");
        assert_eq!(forget.touches(), Touches::Prefix("learned/"));
        forget.apply(&mut kv).expect("forgotten");
        assert_eq!(kv.0.keys().collect::<Vec<_>>(), [&id("a").key()], "only the prompt is left");
    }

    #[test]
    fn mark_used_counts_and_keeps_the_latest_time() {
        let mut kv = MemoryKv::default();
        create_args("a").apply(&mut kv).expect("created");
        for at in [50, 30] {
            Mutation::MarkPromptUsed(MarkPromptUsed { id: id("a"), at })
                .apply(&mut kv)
                .expect("marked");
        }
        let p = prompt(&kv, "a").expect("exists");
        assert_eq!((p.use_count, p.last_used_at), (2, Some(50)));
    }

    #[test]
    fn an_oversized_body_is_refused_with_its_size() {
        let mut kv = MemoryKv::default();
        let m = Mutation::CreatePrompt(CreatePrompt {
            id: id("big"),
            title: "big".into(),
            body: "x".repeat(10 * 1024 * 1024),
            tags: vec![],
            created_at: 0,
        });
        let err = m.apply(&mut kv).expect_err("refused");
        assert!(err.to_string().contains("10485760 bytes"), "{err}");
        assert!(kv.0.is_empty());
        let at_limit = Mutation::CreatePrompt(CreatePrompt {
            id: id("edge"),
            title: "edge".into(),
            body: "x".repeat(Limits::BODY_BYTES),
            tags: vec![],
            created_at: 0,
        });
        assert_eq!(at_limit.apply(&mut kv), Ok(()));
    }

    #[test]
    fn tags_with_spaces_are_refused() {
        let m = Mutation::CreatePrompt(CreatePrompt {
            id: id("a"),
            title: String::new(),
            body: String::new(),
            tags: vec!["two words".into()],
            created_at: 0,
        });
        assert!(matches!(m.validate(), Err(ValidationError::BadTag { .. })));
    }

    fn arb_mutation() -> impl Strategy<Value = Mutation> {
        let ids = prop::sample::select(vec!["a", "b", "c"]);
        prop_oneof![
            (ids.clone(), ".{0,8}", ".{0,20}").prop_map(|(i, t, b)| Mutation::CreatePrompt(
                CreatePrompt { id: id(i), title: t, body: b, tags: vec![], created_at: 1 }
            )),
            (ids.clone(), proptest::option::of(".{0,8}"), 2i64..100).prop_map(|(i, t, at)| {
                Mutation::UpdatePrompt(UpdatePrompt {
                    id: id(i),
                    title: t,
                    body: None,
                    tags: None,
                    updated_at: at,
                })
            }),
            ids.clone().prop_map(|i| Mutation::DeletePrompt(DeletePrompt { id: id(i) })),
            (ids, 0i64..100)
                .prop_map(|(i, at)| Mutation::MarkPromptUsed(MarkPromptUsed { id: id(i), at })),
        ]
    }

    proptest! {
        /// Replaying the same mutations from the same state gives the same state: the
        /// property rebase and the server both rely on.
        #[test]
        fn replay_is_deterministic(ms in prop::collection::vec(arb_mutation(), 0..40)) {
            let run = || {
                let mut kv = MemoryKv::default();
                for m in &ms {
                    let _ = m.apply(&mut kv);
                }
                kv
            };
            prop_assert_eq!(run(), run());
        }

        /// A failed mutation leaves the store exactly as it was.
        #[test]
        fn failed_mutations_have_no_effect(ms in prop::collection::vec(arb_mutation(), 0..40)) {
            let mut kv = MemoryKv::default();
            for m in &ms {
                let before = kv.clone();
                if m.apply(&mut kv).is_err() {
                    prop_assert_eq!(&kv, &before);
                }
            }
        }

        /// Every mutation survives the wire: name and args rebuild the same mutation.
        #[test]
        fn wire_round_trip(m in arb_mutation()) {
            prop_assert_eq!(Mutation::from_parts(m.name(), m.args()), Ok(m));
        }
    }
}
