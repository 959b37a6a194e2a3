//! Register maps: what to read from a board and what it means. A map names coils (relay
//! states), discrete inputs, and registers that hold an element's reading or a health field,
//! with their format and scale, numbered as the board's manual numbers them. Pure: [`plan`]
//! turns a map into the reads a poll makes, [`interpret`] turns the answers into values.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::pdu::{Request, Response, Table};
use crate::domain::Element;
use crate::domain::devices::HealthReading;

/// A run of bits: `count` items from the manual's number `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// The first item, as the manual numbers it.
    pub first: u16,
    /// How many.
    pub count: u16,
}

/// Which register table a field is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterTable {
    /// Holding registers (function 3).
    Holding,
    /// Input registers (function 4).
    Input,
}

impl RegisterTable {
    const fn table(self) -> Table {
        match self {
            Self::Holding => Table::HoldingRegisters,
            Self::Input => Table::InputRegisters,
        }
    }
}

/// How a field's registers hold its number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One register, unsigned.
    #[default]
    U16,
    /// One register, two's complement.
    I16,
    /// Two registers, high word first, unsigned.
    U32,
    /// Two registers, high word first, two's complement.
    I32,
}

impl Format {
    /// Registers it takes.
    pub const fn words(self) -> u16 {
        match self {
            Self::U16 | Self::I16 => 1,
            Self::U32 | Self::I32 => 2,
        }
    }

    fn value(self, words: &[u16]) -> f64 {
        let wide = || (u32::from(words[0]) << 16) | u32::from(words[1]);
        match self {
            Self::U16 => f64::from(words[0]),
            Self::I16 => f64::from(words[0].cast_signed()),
            Self::U32 => f64::from(wide()),
            Self::I32 => f64::from(wide().cast_signed()),
        }
    }
}

/// A health field a register may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthField {
    /// Battery voltage, V.
    BatteryV,
    /// Supply voltage, V.
    SupplyV,
    /// Cellular signal, dBm.
    RssiDbm,
}

/// What a field's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meaning {
    /// A reading of an element (`{"element": "TEM"}`).
    Element(Element),
    /// A health field (`{"health": "supply_v"}`).
    Health(HealthField),
}

fn unit_scale() -> f64 {
    1.0
}

/// A number held in one or two registers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Its table.
    pub table: RegisterTable,
    /// Its first register, as the manual numbers it.
    pub address: u16,
    /// How the registers hold it.
    #[serde(default)]
    pub format: Format,
    /// The value is the raw number times this (0.1 for tenths).
    #[serde(default = "unit_scale")]
    pub scale: f64,
    /// What it is.
    pub meaning: Meaning,
}

/// What to read from a board.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterMap {
    /// Its relays.
    #[serde(default)]
    pub coils: Option<Span>,
    /// Its contact inputs.
    #[serde(default)]
    pub discrete_inputs: Option<Span>,
    /// Its numbers.
    #[serde(default)]
    pub fields: Vec<Field>,
}

impl RegisterMap {
    /// The wire address of relay `channel` (from 1: the map's first coil is relay 1), if the
    /// map has that many coils.
    pub fn coil_address(&self, channel: u16, one_based: bool) -> Option<u16> {
        let span = self.coils?;
        if channel == 0 || channel > span.count {
            return None;
        }
        span.first
            .checked_sub(u16::from(one_based))?
            .checked_add(channel - 1)
    }

    /// A plain relay board: `count` coils from the manual's first number.
    pub fn relays(count: u16, one_based: bool) -> Self {
        Self {
            coils: Some(Span {
                first: u16::from(one_based),
                count,
            }),
            ..Self::default()
        }
    }
}

/// The maps boards name, by name.
pub type MapBook = BTreeMap<String, RegisterMap>;

/// Why a map cannot be read from a board.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The board names a map the book lacks.
    #[error("no register map named {0:?}")]
    Unknown(String),
    /// Item 0 does not exist on a board numbered from 1.
    #[error("{0:?} {1} does not exist on a board numbered from 1")]
    ZeroOnOneBased(Table, u16),
    /// Past the last address.
    #[error("{0:?} from {1} runs past the last address")]
    Overflow(Table, u16),
    /// A span of nothing, or a limit of nothing.
    #[error("{0}")]
    Empty(&'static str),
    /// A scale that is not a finite number.
    #[error("scale of {0:?} {1} is not a finite number")]
    Scale(Table, u16),
    /// A two-register field on a board that answers one register at a time.
    #[error("a two-register field cannot be read one register at a time")]
    WideField,
}

/// The reads that take `map` from a board numbered from 1 when `one_based`, asking at most
/// `limit` items per request (the board's own limit or Modbus's).
pub fn plan(
    map: &RegisterMap,
    one_based: bool,
    limit: Option<u16>,
) -> Result<Vec<Request>, MapError> {
    let limit = limit.unwrap_or(u16::MAX);
    if limit == 0 {
        return Err(MapError::Empty("a board limit of 0 per request"));
    }
    let mut reads = Vec::new();
    for (table, span) in [
        (Table::Coils, map.coils),
        (Table::DiscreteInputs, map.discrete_inputs),
    ] {
        if let Some(span) = span {
            let first = wire(table, span.first, span.count, one_based)?;
            split(
                table,
                first,
                span.count,
                limit.min(table.max_read()),
                &mut reads,
            );
        }
    }
    for table in [RegisterTable::Holding, RegisterTable::Input] {
        let fields = map.fields.iter().filter(|f| f.table == table);
        let runs = register_runs(table.table(), fields, one_based, limit)?;
        reads.extend(runs);
    }
    Ok(reads)
}

/// The wire address of the manual's item `number`, checked to span `count` items.
fn wire(table: Table, number: u16, count: u16, one_based: bool) -> Result<u16, MapError> {
    if count == 0 {
        return Err(MapError::Empty("a span of no items"));
    }
    let first = match (one_based, number) {
        (true, 0) => return Err(MapError::ZeroOnOneBased(table, number)),
        (true, n) => n - 1,
        (false, n) => n,
    };
    first
        .checked_add(count - 1)
        .ok_or(MapError::Overflow(table, number))?;
    Ok(first)
}

fn split(table: Table, first: u16, count: u16, limit: u16, reads: &mut Vec<Request>) {
    let mut address = first;
    let end = u32::from(first) + u32::from(count);
    while u32::from(address) < end {
        let remaining = u16::try_from(end - u32::from(address)).unwrap_or(u16::MAX);
        let count = remaining.min(limit);
        reads.push(Request::Read {
            table,
            address,
            count,
        });
        address = address.saturating_add(count);
        if count == remaining {
            break;
        }
    }
}

/// Reads covering `fields`: adjacent or overlapping fields share a read up to `limit`
/// registers; a two-register field is never split between reads.
fn register_runs<'a>(
    table: Table,
    fields: impl Iterator<Item = &'a Field>,
    one_based: bool,
    limit: u16,
) -> Result<Vec<Request>, MapError> {
    let limit = limit.min(table.max_read());
    let mut spans = Vec::new();
    for field in fields {
        if !field.scale.is_finite() {
            return Err(MapError::Scale(table, field.address));
        }
        if field.format.words() > limit {
            return Err(MapError::WideField);
        }
        let first = wire(table, field.address, field.format.words(), one_based)?;
        spans.push((first, first + field.format.words()));
    }
    spans.sort_unstable();
    let mut reads: Vec<Request> = Vec::new();
    let mut run: Option<(u16, u16)> = None;
    for (start, end) in spans {
        run = match run {
            Some((first, last)) if start <= last && end.max(last) - first <= limit => {
                Some((first, end.max(last)))
            }
            Some((first, last)) => {
                reads.push(read(table, first, last));
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    reads.extend(run.map(|(first, last)| read(table, first, last)));
    Ok(reads)
}

fn read(table: Table, first: u16, end: u16) -> Request {
    Request::Read {
        table,
        address: first,
        count: end - first,
    }
}

/// What one poll of a board read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardValues {
    /// Its coils, in the map's order.
    pub coils: Vec<bool>,
    /// Its discrete inputs, in the map's order.
    pub discrete_inputs: Vec<bool>,
    /// Element readings.
    pub values: BTreeMap<Element, f64>,
    /// Health readings.
    pub health: HealthReading,
}

/// The values of `map` in the answers to the reads [`plan`] made (a field the answers do not
/// cover is left out: missing is missing).
pub fn interpret(
    map: &RegisterMap,
    one_based: bool,
    answers: &[(Request, Response)],
) -> BoardValues {
    let mut bits: HashMap<(Table, u16), bool> = HashMap::new();
    let mut words: HashMap<(Table, u16), u16> = HashMap::new();
    for (request, response) in answers {
        let Request::Read { table, address, .. } = request else {
            continue;
        };
        match response {
            Response::Bits(values) => bits.extend(at(*table, *address, values)),
            Response::Words(values) => words.extend(at(*table, *address, values)),
            Response::CoilWritten { .. } => {}
        }
    }
    let offset = u16::from(one_based);
    let span_bits = |table, span: Option<Span>| -> Vec<bool> {
        span.map(|s| {
            (0..s.count)
                .map_while(|i| {
                    bits.get(&(table, s.first.wrapping_sub(offset).wrapping_add(i)))
                        .copied()
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let mut values = BoardValues {
        coils: span_bits(Table::Coils, map.coils),
        discrete_inputs: span_bits(Table::DiscreteInputs, map.discrete_inputs),
        ..BoardValues::default()
    };
    for field in &map.fields {
        let table = field.table.table();
        let first = field.address.wrapping_sub(offset);
        let raw: Option<Vec<u16>> = (0..field.format.words())
            .map(|i| words.get(&(table, first.wrapping_add(i))).copied())
            .collect();
        if let Some(raw) = raw {
            record(
                &mut values,
                field.meaning,
                field.format.value(&raw) * field.scale,
            );
        }
    }
    values
}

fn at<T: Copy>(
    table: Table,
    address: u16,
    values: &[T],
) -> impl Iterator<Item = ((Table, u16), T)> {
    (address..).zip(values).map(move |(a, &v)| ((table, a), v))
}

fn record(values: &mut BoardValues, meaning: Meaning, value: f64) {
    match meaning {
        Meaning::Element(element) => {
            values.values.insert(element, value);
        }
        Meaning::Health(HealthField::BatteryV) => values.health.battery_v = Some(value),
        Meaning::Health(HealthField::SupplyV) => values.health.supply_v = Some(value),
        Meaning::Health(HealthField::RssiDbm) => values.health.rssi_dbm = Some(value),
    }
}

#[cfg(test)]
mod tests;
