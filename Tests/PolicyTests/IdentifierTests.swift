import Foundation
import XCTest
@testable import Policy
import InboxModel

final class IdentifierTests: XCTestCase {
    func digits(_ s: String) -> [UInt8] { s.compactMap { $0.wholeNumberValue.map(UInt8.init) } }

    func testValidators() {
        XCTAssertTrue(Validators.luhn(digits("4111111111111111")))
        XCTAssertFalse(Validators.luhn(digits("4111111111111112")))
        XCTAssertTrue(Validators.card(digits("4111 1111 1111 1111")))
        XCTAssertFalse(Validators.card(digits("1111111111111111")))   // passes Luhn? rejected as uniform
        XCTAssertTrue(Validators.npi(digits("1234567893")))
        XCTAssertFalse(Validators.npi(digits("1234567890")))
        XCTAssertTrue(Validators.nanp(digits("6175550187")))
        XCTAssertTrue(Validators.nanp(digits("16175550187")))
        XCTAssertFalse(Validators.nanp(digits("1175550187")))   // area starts with 1
        XCTAssertFalse(Validators.nanp(digits("6171550187")))   // exchange starts with 1
        XCTAssertFalse(Validators.nanp(digits("4115550187")))   // N11
        XCTAssertTrue(Validators.ssn(digits("123456789")))
        XCTAssertFalse(Validators.ssn(digits("000123456")))
        XCTAssertFalse(Validators.ssn(digits("666123456")))
        XCTAssertFalse(Validators.ssn(digits("900123456")))
        XCTAssertFalse(Validators.ssn(digits("123006789")))
        XCTAssertFalse(Validators.ssn(digits("123450000")))
        XCTAssertTrue(Validators.iban("GB82WEST12345698765432"))
        XCTAssertFalse(Validators.iban("GB82WEST12345698765433"))
    }

    func find(_ text: String, _ kinds: Set<IdentifierKind> = Set(IdentifierKind.allCases)) throws -> [IdentifierMatch] {
        try Fixture.classifier().identifiers(in: text, kinds: kinds).2
    }

    func kinds(_ text: String) throws -> [IdentifierKind] { try find(text).map(\.kind) }

    func testPhones() throws {
        XCTAssertEqual(try kinds("call me at (617) 867-5309 tonight"), [.phone])
        XCTAssertEqual(try kinds("617-867-5309"), [.phone])
        XCTAssertEqual(try kinds("+1 617.867.5309"), [.phone])
        XCTAssertEqual(try kinds("my order 6178675309 shipped"), [])          // bare digits without a keyword
        XCTAssertEqual(try kinds("phone 6178675309"), [.phone])
        XCTAssertEqual(try kinds("Phone: 358 0594"), [.phone])                  // short number with a label
        XCTAssertEqual(try kinds("(117) 867-5309"), [])                         // invalid area code
        // allow-listed: the organisation's own number and Poison Help
        XCTAssertEqual(try kinds("call (617) 555-0142 or 1-800-222-1222"), [])
    }

    func testEmailURL() throws {
        XCTAssertEqual(try kinds("write to jane.doe+x@example.com please"), [.email])
        XCTAssertEqual(try kinds("patientrelations@riversidehealth.example"), [])
        XCTAssertEqual(try kinds("@someone on twitter"), [])
        XCTAssertEqual(try kinds("see https://evil.example/path?q=1."), [.url])
        XCTAssertEqual(try kinds("book at https://www.riversidehealth.example/book"), [])
    }

    func testSSNCardsNPI() throws {
        XCTAssertEqual(try kinds("Here's my SSN: 550-53-3582"), [.ssn])
        XCTAssertEqual(try kinds("SSN 666-53-3582"), [])
        XCTAssertEqual(try kinds("ssn 550533582"), [.ssn])
        XCTAssertEqual(try kinds("card 4111-1111-1111-1111 expired"), [.card])
        XCTAssertEqual(try kinds("tracking 4111111111111112 arrived"), [])
        XCTAssertEqual(try kinds("NPI 1234567893"), [.npi])
    }

    func testKeywordIdentifiers() throws {
        XCTAssertEqual(try kinds("my MRN is 00482913"), [.mrn])
        XCTAssertEqual(try kinds("número de expediente 5583920"), [.mrn])
        XCTAssertEqual(try kinds("I ran 00482913 steps"), [])
        XCTAssertEqual(try kinds("I was born on 11/22/2000"), [.dob])
        XCTAssertEqual(try kinds("fecha de nacimiento: 3 de marzo de 1980"), [.dob])
        XCTAssertEqual(try kinds("the event is on 11/22/2025"), [.date])
        XCTAssertEqual(try kinds("she is 94 years old"), [.age])
        // under 90 it is not a Safe Harbor age, only a stated age (an identifier next to a name)
        XCTAssertEqual(try kinds("she is 64 years old"), [.statedAge])
        XCTAssertEqual(try kinds("Juan Pérez, de 67 años"), [.statedAge])
        XCTAssertEqual(try kinds("his age 4 months"), [])
    }

    func testRoomsFloorsAndNumberedStreets() throws {
        XCTAssertEqual(try kinds("patient in room 412 needs water"), [.room])
        XCTAssertEqual(try kinds("está en la habitación 305"), [.room])
        // a hotel floor or a clinic suite is nobody's address; an apartment, or a unit after "lives", is
        XCTAssertEqual(try kinds("una habitación en el piso 24 con vista"), [])
        XCTAssertEqual(try kinds("radiology is in suite 500"), [])
        XCTAssertEqual(try kinds("she lives in suite 500"), [.address])
        XCTAssertEqual(try kinds("I moved to apt 12B"), [.address])
        // "Calle 23" names a street; a house on it has its own number ("número 456")
        XCTAssertEqual(try kinds("el hotel está en la calle 23, cerca del malecón"), [])
        XCTAssertEqual(try kinds("vivo en la calle 23 número 456"), [.address])
        // a date before "Dr." is not a house number on a drive
        XCTAssertEqual(try kinds("On January 11, 2013, Dr. Kurzon operated"), [.date])
    }

    func testAddresses() throws {
        XCTAssertEqual(try kinds("I live at 1450 Maple Avenue Apt 3B"), [.address])
        XCTAssertEqual(try kinds("Meet me at PSC 1437, Box 3833 APO AA 66791"), [.address, .address])
        XCTAssertEqual(try kinds("send it to 22 Oak Street"), [.address])
        XCTAssertEqual(try kinds("Vivo en Calle Mayor 25"), [.address])
        XCTAssertEqual(try kinds("I waited 2 hours in the lobby"), [])
        XCTAssertEqual(try kinds("took 3 pills a day"), [])
    }

    func testSpansPointIntoOriginalText() throws {
        let text = "😷 Ｍｙ ＳＳＮ ｉｓ 550-53-3582"
        let c = try Fixture.classifier()
        let r = c.classify(text)
        let ev = try XCTUnwrap(r.hit(.phiExposure)?.evidence.first { $0.rule == "phi.ssn" })
        let scalars = Array(text.unicodeScalars)
        var s = String()
        s.unicodeScalars.append(contentsOf: scalars[ev.span[0]..<ev.span[1]])
        XCTAssertEqual(s, "550-53-3582")
        XCTAssertEqual(ev.text, "550-53-3582")
    }
}
