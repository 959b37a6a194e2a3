use super::*;

fn read(table: Table, address: u16, count: u16) -> Request {
    Request::Read {
        table,
        address,
        count,
    }
}

fn field(table: RegisterTable, address: u16, format: Format, meaning: Meaning) -> Field {
    Field {
        table,
        address,
        format,
        scale: 1.0,
        meaning,
    }
}

const TEM: Meaning = Meaning::Element(Element::Tem);
const SUPPLY: Meaning = Meaning::Health(HealthField::SupplyV);

#[test]
fn plans_number_from_the_manual_and_respect_the_board_limit() {
    let sensors = RegisterMap {
        coils: Some(Span {
            first: 1,
            count: 10,
        }),
        discrete_inputs: None,
        fields: vec![
            field(RegisterTable::Holding, 5, Format::I32, TEM),
            field(RegisterTable::Holding, 1, Format::U16, SUPPLY),
            field(
                RegisterTable::Holding,
                2,
                Format::U16,
                Meaning::Element(Element::Rhu),
            ),
            field(
                RegisterTable::Input,
                9,
                Format::U16,
                Meaning::Element(Element::Co2),
            ),
        ],
    };
    let cases = [
        (
            RegisterMap::relays(8, false),
            false,
            None,
            Ok(vec![read(Table::Coils, 0, 8)]),
        ),
        (
            RegisterMap::relays(8, true),
            true,
            None,
            Ok(vec![read(Table::Coils, 0, 8)]),
        ),
        (
            RegisterMap::relays(8, false),
            true,
            None,
            Err(MapError::ZeroOnOneBased(Table::Coils, 0)),
        ),
        (
            sensors.clone(),
            true,
            None,
            Ok(vec![
                read(Table::Coils, 0, 10),
                read(Table::HoldingRegisters, 0, 2),
                read(Table::HoldingRegisters, 4, 2),
                read(Table::InputRegisters, 8, 1),
            ]),
        ),
        (
            sensors.clone(),
            false,
            Some(4),
            Ok(vec![
                read(Table::Coils, 1, 4),
                read(Table::Coils, 5, 4),
                read(Table::Coils, 9, 2),
                read(Table::HoldingRegisters, 1, 2),
                read(Table::HoldingRegisters, 5, 2),
                read(Table::InputRegisters, 9, 1),
            ]),
        ),
        (sensors.clone(), false, Some(1), Err(MapError::WideField)),
        (
            sensors,
            false,
            Some(0),
            Err(MapError::Empty("a board limit of 0 per request")),
        ),
        (
            RegisterMap {
                coils: Some(Span {
                    first: 65_535,
                    count: 2,
                }),
                ..RegisterMap::default()
            },
            false,
            None,
            Err(MapError::Overflow(Table::Coils, 65_535)),
        ),
    ];
    for (map, one_based, limit, reads) in cases {
        assert_eq!(
            plan(&map, one_based, limit),
            reads,
            "{map:?} {one_based} {limit:?}"
        );
    }
}

#[test]
fn adjacent_registers_share_a_read_up_to_the_limit() {
    let fields: Vec<Field> = (0..6)
        .map(|a| field(RegisterTable::Input, a, Format::U16, SUPPLY))
        .collect();
    let map = RegisterMap {
        fields,
        ..RegisterMap::default()
    };
    assert_eq!(
        plan(&map, false, Some(4)),
        Ok(vec![
            read(Table::InputRegisters, 0, 4),
            read(Table::InputRegisters, 4, 2)
        ])
    );
    assert_eq!(
        plan(&map, false, None),
        Ok(vec![read(Table::InputRegisters, 0, 6)])
    );
}

#[test]
fn answers_become_scaled_signed_values_and_relay_states() {
    let map = RegisterMap {
        coils: Some(Span { first: 1, count: 4 }),
        discrete_inputs: Some(Span { first: 1, count: 2 }),
        fields: vec![
            Field {
                scale: 0.1,
                ..field(RegisterTable::Holding, 1, Format::I16, TEM)
            },
            Field {
                scale: 0.01,
                ..field(RegisterTable::Holding, 2, Format::U16, SUPPLY)
            },
            field(
                RegisterTable::Input,
                1,
                Format::I32,
                Meaning::Health(HealthField::RssiDbm),
            ),
            field(
                RegisterTable::Input,
                3,
                Format::U32,
                Meaning::Element(Element::Co2),
            ),
            // Not answered: left out, not zero.
            field(
                RegisterTable::Input,
                40,
                Format::U16,
                Meaning::Element(Element::Rhu),
            ),
        ],
    };
    let answers = [
        (
            read(Table::Coils, 0, 4),
            Response::Bits(vec![true, false, true, true]),
        ),
        (
            read(Table::DiscreteInputs, 0, 2),
            Response::Bits(vec![false, true]),
        ),
        (
            read(Table::HoldingRegisters, 0, 2),
            Response::Words(vec![(-25_i16).cast_unsigned(), 1_234]),
        ),
        (
            read(Table::InputRegisters, 0, 4),
            Response::Words(vec![0xFFFF, 0xFFB5, 0x0001, 0x0002]),
        ),
    ];
    let values = interpret(&map, true, &answers);
    assert_eq!(values.coils, [true, false, true, true]);
    assert_eq!(values.discrete_inputs, [false, true]);
    assert!((values.values[&Element::Tem] - -2.5).abs() < 1e-9);
    assert_eq!(values.values.get(&Element::Co2), Some(&65_538.0));
    assert_eq!(values.values.get(&Element::Rhu), None);
    assert_eq!(values.health.supply_v, Some(12.34));
    assert_eq!(values.health.rssi_dbm, Some(-75.0));
    assert_eq!(values.health.battery_v, None);
}

#[test]
fn maps_are_written_as_json_config() {
    let text = r#"{
        "coils": {"first": 1, "count": 8},
        "fields": [
            {"table": "input", "address": 1, "format": "i16", "scale": 0.1,
             "meaning": {"element": "TEM"}},
            {"table": "holding", "address": 3, "meaning": {"health": "supply_v"}}
        ]
    }"#;
    let map: RegisterMap = serde_json::from_str(text).unwrap();
    assert_eq!(map.coils, Some(Span { first: 1, count: 8 }));
    assert_eq!(map.fields[0].meaning, TEM);
    assert_eq!(map.fields[1].format, Format::U16);
    assert!((map.fields[1].scale - 1.0).abs() < f64::EPSILON);
}

#[test]
fn relay_channels_are_the_maps_coils_from_one() {
    let zero_based = RegisterMap::relays(8, false);
    let one_based = RegisterMap::relays(8, true);
    let offset = RegisterMap {
        coils: Some(Span {
            first: 17,
            count: 4,
        }),
        ..RegisterMap::default()
    };
    let cases = [
        (&zero_based, false, 1, Some(0)),
        (&zero_based, false, 8, Some(7)),
        (&zero_based, false, 9, None),
        (&zero_based, false, 0, None),
        (&one_based, true, 1, Some(0)),
        (&offset, true, 2, Some(17)),
        (&offset, false, 4, Some(20)),
        (&RegisterMap::default(), false, 1, None),
    ];
    for (map, one_based, channel, expected) in cases {
        assert_eq!(map.coil_address(channel, one_based), expected, "{channel}");
    }
}
