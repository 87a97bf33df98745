//! The `random` provider: `random_id`, `random_pet`, `random_string`, `random_password`,
//! `random_integer`, `random_shuffle` and `random_uuid`. Values are generated at apply from the operating system's randomness
//! (`rand::rng()`, a CSPRNG seeded from the OS) and kept in state; every argument forces a new
//! value when it changes, `keepers` included.

use skel_value::ValueMap;
use std::sync::Arc;

use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngExt, SeedableRng};
use sha2::{Digest, Sha256};
use skel_provider::kit;
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_schema::BlockSchema;
use skel_value::Value;

use crate::common::{
    complete_object, default_value, get, get_bool, get_str, hex, planned_object, resource_schema,
    set,
};
use crate::words::{ADJECTIVES, ADVERBS, NAMES};

const NAME: &str = "random";

/// The special characters `random_string` and `random_password` use by default.
pub const DEFAULT_SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";

/// The bcrypt cost of `random_password.bcrypt_hash` (Go's `bcrypt.DefaultCost`, as Terraform).
const BCRYPT_COST: u32 = 10;

/// The largest `byte_length`, `length` a random value may have (a guard against typos such as
/// `1e9` that would exhaust memory).
const MAX_LENGTH: i64 = 1 << 20;

/// Creates the `random` provider (it takes no configuration).
pub struct RandomFactory;

impl ProviderFactory for RandomFactory {
    fn name(&self) -> &str {
        NAME
    }

    fn configure(&self, _config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(RandomProvider))
    }
}

/// The configured `random` provider.
pub struct RandomProvider;

fn invalid(type_name: &str, message: impl std::fmt::Display) -> ProviderError {
    ProviderError::InvalidConfig(format!("{type_name}: {message}"))
}

/// A whole-number argument; `None` when omitted or unknown, an error when not a whole number.
fn int_arg(type_name: &str, obj: &Value, name: &str) -> Result<Option<i64>, ProviderError> {
    match get(obj, name) {
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(type_name, format!("`{name}` must be a whole number."))),
        _ => Ok(None),
    }
}

fn required_int(type_name: &str, obj: &Value, name: &str) -> Result<i64, ProviderError> {
    int_arg(type_name, obj, name)?
        .ok_or_else(|| invalid(type_name, format!("`{name}` must be set.")))
}

/// The decimal digits of a big-endian unsigned integer of any length.
pub fn bytes_to_decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base-10 digits
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// The computed attributes of a `random_id` for these bytes.
fn id_values(prefix: &str, bytes: &[u8]) -> ValueMap {
    let b64_url = URL_SAFE_NO_PAD.encode(bytes);
    ValueMap::from([
        ("id".to_string(), Value::string(b64_url.clone())),
        ("b64_url".to_string(), Value::string(b64_url)),
        ("b64_std".to_string(), Value::string(STANDARD.encode(bytes))),
        (
            "hex".to_string(),
            Value::string(format!("{prefix}{}", hex(bytes))),
        ),
        (
            "dec".to_string(),
            Value::string(format!("{prefix}{}", bytes_to_decimal(bytes))),
        ),
    ])
}

/// A pet name of `length` words: adverbs, then an adjective, then an animal.
pub fn pet_name(rng: &mut impl Rng, length: usize, separator: &str) -> String {
    let mut words: Vec<&str> = Vec::with_capacity(length);
    for i in 0..length {
        let list = if i + 1 == length {
            NAMES
        } else if i + 2 == length {
            ADJECTIVES
        } else {
            ADVERBS
        };
        words.push(list.choose(rng).copied().unwrap_or("pet"));
    }
    words.join(separator)
}

/// The parameters of `random_string` and `random_password`.
struct StringParams {
    length: usize,
    charset: Vec<char>,
    minimums: Vec<(Vec<char>, usize)>,
}

fn string_params(type_name: &str, obj: &Value) -> Result<StringParams, ProviderError> {
    let flag = |name: &str| get_bool(obj, name).unwrap_or(true);
    let count = |name: &str| -> Result<usize, ProviderError> {
        let n = int_arg(type_name, obj, name)?.unwrap_or(0);
        usize::try_from(n)
            .map_err(|_| invalid(type_name, format!("`{name}` must not be negative.")))
    };
    let length = required_int(type_name, obj, "length")?;
    let length = usize::try_from(length)
        .ok()
        .filter(|l| (1..=MAX_LENGTH as usize).contains(l))
        .ok_or_else(|| {
            invalid(
                type_name,
                format!("`length` must be between 1 and {MAX_LENGTH}."),
            )
        })?;
    let special: Vec<char> = match get_str(obj, "override_special") {
        Some(s) if !s.is_empty() => s.chars().collect(),
        _ => DEFAULT_SPECIAL.chars().collect(),
    };
    let lower: Vec<char> = LOWER.chars().collect();
    let upper: Vec<char> = UPPER.chars().collect();
    let numeric: Vec<char> = NUMERIC.chars().collect();
    let mut charset = Vec::new();
    for (enabled, set) in [
        (flag("upper"), &upper),
        (flag("lower"), &lower),
        // `number` is the deprecated name of `numeric`; set, it wins (the checker warns).
        (get_bool(obj, "number").unwrap_or(flag("numeric")), &numeric),
        (flag("special"), &special),
    ] {
        if enabled {
            charset.extend(set.iter().copied());
        }
    }
    let minimums = vec![
        (upper, count("min_upper")?),
        (lower, count("min_lower")?),
        (numeric, count("min_numeric")?),
        (special, count("min_special")?),
    ];
    let required = minimums
        .iter()
        .fold(0usize, |sum, (_, n)| sum.saturating_add(*n));
    if required > length {
        return Err(invalid(
            type_name,
            format!(
                "`length` ({length}) must be at least the sum of the `min_*` arguments ({required})."
            ),
        ));
    }
    if required < length && charset.is_empty() {
        return Err(invalid(
            type_name,
            "no characters to choose from: enable at least one of `upper`, `lower`, `numeric`, `special`.",
        ));
    }
    Ok(StringParams {
        length,
        charset,
        minimums,
    })
}

/// A random string as Terraform makes one: the minimum counts from each class first, the rest
/// from the whole character set, then shuffled.
fn random_string(rng: &mut impl Rng, params: &StringParams) -> String {
    let mut out: Vec<char> = Vec::with_capacity(params.length);
    for (set, n) in &params.minimums {
        for _ in 0..*n {
            if let Some(c) = set.choose(rng) {
                out.push(*c);
            }
        }
    }
    while out.len() < params.length {
        match params.charset.choose(rng) {
            Some(c) => out.push(*c),
            None => break,
        }
    }
    out.shuffle(rng);
    out.into_iter().collect()
}

fn bcrypt_hash(type_name: &str, password: &str) -> Result<String, ProviderError> {
    bcrypt::hash(password, BCRYPT_COST)
        .map_err(|_| ProviderError::Other(format!("{type_name}: could not compute bcrypt_hash.")))
}

/// A generator seeded from a `seed` string: the same seed gives the same sequence.
fn seeded_rng(seed: &str) -> StdRng {
    let digest = Sha256::digest(seed.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    StdRng::seed_from_u64(u64::from_le_bytes(first))
}

/// Checks the arguments of a random resource (unknown values are skipped).
fn check(type_name: &str, obj: &Value) -> Result<(), ProviderError> {
    match type_name {
        "random_id" => {
            if let Some(n) = int_arg(type_name, obj, "byte_length")? {
                if !(1..=MAX_LENGTH).contains(&n) {
                    return Err(invalid(
                        type_name,
                        format!("`byte_length` must be between 1 and {MAX_LENGTH}."),
                    ));
                }
            }
        }
        "random_pet" => {
            if let Some(n) = int_arg(type_name, obj, "length")? {
                if !(1..=1000).contains(&n) {
                    return Err(invalid(type_name, "`length` must be between 1 and 1000."));
                }
            }
        }
        "random_string" | "random_password" if get(obj, "length").as_number().is_some() => {
            string_params(type_name, obj)?;
        }
        "random_shuffle" => {
            if let Some(n) = int_arg(type_name, obj, "result_count")? {
                if !(0..=MAX_LENGTH).contains(&n) {
                    return Err(invalid(
                        type_name,
                        format!("`result_count` must be between 0 and {MAX_LENGTH}."),
                    ));
                }
            }
        }
        "random_integer" => {
            let min = int_arg(type_name, obj, "min")?;
            let max = int_arg(type_name, obj, "max")?;
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    return Err(invalid(
                        type_name,
                        format!("`min` ({min}) must not be greater than `max` ({max})."),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Generates the computed attributes of a new instance from its planned arguments.
fn generate(type_name: &str, planned: &Value) -> Result<ValueMap, ProviderError> {
    check(type_name, planned)?;
    let mut rng = rand::rng();
    match type_name {
        "random_id" => {
            let n = required_int(type_name, planned, "byte_length")?;
            let mut bytes = vec![0u8; usize::try_from(n).unwrap_or(0)];
            rng.fill(bytes.as_mut_slice());
            Ok(id_values(get_str(planned, "prefix").unwrap_or(""), &bytes))
        }
        "random_pet" => {
            let length = int_arg(type_name, planned, "length")?.unwrap_or(2);
            let separator = get_str(planned, "separator").unwrap_or("-");
            let mut name = pet_name(&mut rng, usize::try_from(length).unwrap_or(2), separator);
            if let Some(prefix) = get_str(planned, "prefix") {
                name = format!("{prefix}{separator}{name}");
            }
            Ok(ValueMap::from([("id".to_string(), Value::string(name))]))
        }
        "random_string" => {
            let result = random_string(&mut rng, &string_params(type_name, planned)?);
            Ok(ValueMap::from([
                ("id".to_string(), Value::string(result.clone())),
                ("result".to_string(), Value::string(result)),
            ]))
        }
        "random_password" => {
            let result = random_string(&mut rng, &string_params(type_name, planned)?);
            Ok(ValueMap::from([
                ("id".to_string(), Value::string("none")),
                (
                    "bcrypt_hash".to_string(),
                    Value::string(bcrypt_hash(type_name, &result)?),
                ),
                ("result".to_string(), Value::string(result)),
            ]))
        }
        "random_integer" => {
            let min = required_int(type_name, planned, "min")?;
            let max = required_int(type_name, planned, "max")?;
            let result = match get_str(planned, "seed") {
                Some(seed) => seeded_rng(seed).random_range(min..=max),
                None => rng.random_range(min..=max),
            };
            Ok(ValueMap::from([
                ("id".to_string(), Value::string(result.to_string())),
                ("result".to_string(), Value::number(result)),
            ]))
        }
        "random_shuffle" => {
            let input: Vec<Value> = get(planned, "input").as_sequence().unwrap_or(&[]).to_vec();
            let count = match int_arg(type_name, planned, "result_count")? {
                Some(n) => usize::try_from(n).unwrap_or(0),
                None => input.len(),
            };
            let mut result = input.clone();
            match get_str(planned, "seed") {
                Some(seed) => result.shuffle(&mut seeded_rng(seed)),
                None => result.shuffle(&mut rng),
            }
            // More than the input: the permutation repeats, as Terraform's does.
            let result: Vec<Value> = if result.is_empty() {
                Vec::new()
            } else {
                result.iter().cycle().take(count).cloned().collect()
            };
            Ok(ValueMap::from([
                ("id".to_string(), Value::string("-")),
                ("result".to_string(), Value::List(result)),
            ]))
        }
        "random_uuid" => {
            let uuid = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
            let text = uuid.hyphenated().to_string();
            Ok(ValueMap::from([
                ("id".to_string(), Value::string(text.clone())),
                ("result".to_string(), Value::string(text)),
            ]))
        }
        other => Err(invalid(
            other,
            "not a resource type of the random provider.",
        )),
    }
}

/// The arguments with their schema defaults, for an imported object.
fn defaults(block: &BlockSchema) -> ValueMap {
    block
        .attributes
        .iter()
        .filter(|(_, a)| a.is_argument())
        .map(|(k, a)| (k.clone(), default_value(a)))
        .collect()
}

fn import_values(
    type_name: &str,
    block: &BlockSchema,
    id: &str,
) -> Result<ValueMap, ProviderError> {
    let mut values = defaults(block);
    let bad = |what: &str| {
        ProviderError::InvalidConfig(format!("{type_name}: the import id must be {what}."))
    };
    match type_name {
        "random_id" => {
            let (prefix, encoded) = id.split_once(',').unwrap_or(("", id));
            let bytes = URL_SAFE_NO_PAD
                .decode(encoded)
                .ok()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| bad("the b64_url value, optionally `prefix,value`"))?;
            values.insert("byte_length".into(), Value::number(bytes.len() as i64));
            if !prefix.is_empty() {
                values.insert("prefix".into(), Value::string(prefix));
            }
            values.extend(id_values(prefix, &bytes));
        }
        "random_pet" => {
            if id.is_empty() {
                return Err(bad("the pet name"));
            }
            let length = id.split('-').count();
            values.insert("length".into(), Value::number(length as i64));
            values.insert("separator".into(), Value::string("-"));
            values.insert("id".into(), Value::string(id));
        }
        "random_string" | "random_password" => {
            let length = id.chars().count();
            if length == 0 {
                return Err(bad("the generated value"));
            }
            values.insert("length".into(), Value::number(length as i64));
            values.insert("result".into(), Value::string(id));
            if type_name == "random_string" {
                values.insert("id".into(), Value::string(id));
            } else {
                values.insert("id".into(), Value::string("none"));
                values.insert(
                    "bcrypt_hash".into(),
                    Value::string(bcrypt_hash(type_name, id)?),
                );
            }
        }
        "random_integer" => {
            let parts: Vec<&str> = id.split(',').collect();
            if !(3..=4).contains(&parts.len()) {
                return Err(bad("`result,min,max` or `result,min,max,seed`"));
            }
            let int = |s: &str| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| bad("`result,min,max[,seed]` with whole numbers"))
            };
            let (result, min, max) = (int(parts[0])?, int(parts[1])?, int(parts[2])?);
            if !(min..=max).contains(&result) {
                return Err(bad("a result between min and max"));
            }
            values.insert("min".into(), Value::number(min));
            values.insert("max".into(), Value::number(max));
            if let Some(seed) = parts.get(3) {
                values.insert("seed".into(), Value::string(*seed));
            }
            values.insert("result".into(), Value::number(result));
            values.insert("id".into(), Value::string(result.to_string()));
        }
        "random_uuid" => {
            let uuid = uuid::Uuid::try_parse(id).map_err(|_| bad("a UUID"))?;
            let text = uuid.hyphenated().to_string();
            values.insert("result".into(), Value::string(text.clone()));
            values.insert("id".into(), Value::string(text));
        }
        other => {
            return Err(invalid(
                other,
                "not a resource type of the random provider (or one that cannot be imported).",
            ))
        }
    }
    Ok(values)
}

#[async_trait]
impl Provider for RandomProvider {
    fn name(&self) -> &str {
        NAME
    }

    /// Its objects live only in state: nothing outside skel to lose in a crash.
    fn external(&self, _type_name: &str) -> bool {
        false
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<String> {
        match check(type_name, config) {
            Ok(()) => Vec::new(),
            Err(e) => vec![e.to_string()],
        }
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = resource_schema(NAME, request.type_name)?;
        Ok(kit::plan(
            request.type_name,
            &schema.block,
            request.prior,
            request.config,
            &kit::NoHooks,
        ))
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let schema = resource_schema(NAME, request.type_name)?;
        let Some(planned) = request.planned.filter(|p| !p.is_null()) else {
            return Ok(Value::Null);
        };
        let mut state = planned_object(Some(planned), request.type_name)?.clone();
        let needs_values = schema
            .block
            .attributes
            .iter()
            .any(|(k, a)| a.is_computed_only() && !get(&state, k).is_known());
        if needs_values {
            for (k, v) in generate(request.type_name, &state)? {
                set(&mut state, &k, v);
            }
        }
        Ok(complete_object(
            &schema.block,
            state.as_mapping().cloned().unwrap_or_default(),
        ))
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        resource_schema(NAME, type_name)?;
        Ok(Some(state.clone()))
    }

    async fn read_data(&self, type_name: &str, _config: &Value) -> Result<Value, ProviderError> {
        Err(invalid(
            type_name,
            "the random provider has no data sources.",
        ))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let schema = resource_schema(NAME, type_name)?;
        let values = import_values(type_name, &schema.block, id)?;
        Ok(complete_object(&schema.block, values))
    }
}
