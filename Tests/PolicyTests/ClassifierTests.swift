import Foundation
import XCTest
@testable import Policy
import InboxModel

final class ClassifierTests: XCTestCase {
    var c: Classifier!
    override func setUpWithError() throws { c = try Fixture.classifier() }

    func testNormalisationOffsets() {
        let text = "Ａb\u{200B}c É\u{301}ñ año fυck"
        let n = NormalizedText(text)
        XCTAssertEqual(n.normalizedString, "abc eñ año fuck")
        XCTAssertEqual(n.scalars.count, n.map.count)
        // "año" keeps its ñ; each normalised scalar maps back into the original
        let (s, e) = n.originalSpan(7, 10)
        XCTAssertEqual(n.originalText(s, e), "año")
        XCTAssertEqual(NormalizedText("ｆｕｃｋ").normalizedString, "fuck")
        XCTAssertEqual(NormalizedText("Cañón").normalizedString, "cañon")
        XCTAssertEqual(NormalizedText("n\u{303}").normalizedString, "ñ")
        XCTAssertEqual(NormalizedText("\u{0430}\u{0441}\u{0441}").normalizedString, "acc")  // Cyrillic
        XCTAssertEqual(NormalizedText("soft\u{AD}hyphen").normalizedString, "softhyphen")
    }

    func testEvidenceSpanIsInOriginalScalars() throws {
        let text = "😀😀 ｆｕｃｋ this"
        let r = c.classify(text)
        let ev = try XCTUnwrap(r.hit(.offensive)?.evidence.first)
        XCTAssertEqual(ev.span, [3, 7])
        XCTAssertEqual(ev.text, "ｆｕｃｋ")
    }

    func testObfuscation() {
        for t in ["fuuuuuck you", "f u c k you", "f.u.c.k you", "sh1t hospital", "what a f*ck", "a\u{200D}sshole", "\u{0430}sshole", "ＦＵＣＫ", "$h!t service", "fυck"] {
            XCTAssertTrue(c.classify(t).raised(.offensive), t)
        }
        for t in ["I live in Scunthorpe", "the assassin's creed", "a cocktail party", "class assignment", "I passed my exam", "Dickens novel"] {
            XCTAssertNil(c.classify(t).hit(.offensive), t)
        }
        let r = c.classify("fuuuuck")
        XCTAssertEqual(r.hit(.offensive)?.evidence.first?.modifiers, ["obfuscated"])
    }

    func testClinicalWordsAreNotProfane() {
        for t in ["breast cancer screening", "rectal exam", "HIV test results", "she had a stroke", "morphine overdose risk", "ovaries and uterus", "free condoms", "assisted suicide debate in the news", "anal fissure treatment", "my penis hurts", "examen de seno", "prueba de VIH"] {
            XCTAssertNil(c.classify(t).hit(.offensive), t)
        }
    }

    func testOffensiveCategoriesAndSpanish() {
        XCTAssertEqual(c.classify("you're a stupid bitch").hit(.offensive)?.category, "insult")
        XCTAssertEqual(c.classify("I will kill you").hit(.offensive)?.category, "threat")
        XCTAssertEqual(c.classify("go back to your country you wetback").hit(.offensive)?.severity, "3")
        XCTAssertTrue(c.classify("eres un pendejo").raised(.offensive))
        XCTAssertTrue(c.classify("vete a la mierda").raised(.offensive))
        XCTAssertEqual(c.classify("eres un pendejo").language, "es")
    }

    func testEmergencyNegationAndFigurativeLowerToReviewNeverDrop() {
        let flagged = c.classify("I want to kill myself")
        XCTAssertTrue(flagged.raised(.emergency))
        XCTAssertEqual(flagged.hit(.emergency)?.category, "suicide")
        for t in ["I'm not suicidal, just tired of the parking situation lol",
                  "I don't want to kill myself",
                  "lol that gave me a heart attack",
                  "No quiero morir",
                  "nunca pensé en suicidarme"] {
            let r = c.classify(t)
            XCTAssertEqual(r.hit(.emergency)?.decision, .review, t)
            XCTAssertEqual(r.lane(kind: .comment), .urgent, t)
        }
        let neg = c.classify("I don't want to kill myself")
        XCTAssertTrue(neg.hit(.emergency)?.evidence.contains { $0.modifiers.contains("negated") } ?? false)
        let fig = c.classify("this wait is killing me")
        XCTAssertFalse(fig.raised(.emergency))
        XCTAssertTrue(c.classify("Me quiero morir, ya no aguanto").raised(.emergency))
        XCTAssertTrue(c.classify("my husband can't breathe right now").raised(.emergency))
        XCTAssertEqual(c.classify("my husband can't breathe right now").hit(.emergency)?.severity, "imminent")
    }

    func testContextModifiers() throws {
        let r = c.classify("My daughter has a fever, should I worry?")
        let ev = try XCTUnwrap(r.hit(.symptomQuestion)?.evidence.first { $0.text == "fever" })
        XCTAssertTrue(ev.modifiers.contains("experiencer:relative"))
        let r2 = c.classify("I had pneumonia years ago, is the vaccine safe now?")
        XCTAssertTrue(r2.hit(.symptomQuestion)?.evidence.contains { $0.modifiers.contains("temporality:history") } ?? false)
        let r3 = c.classify("Mi hijo no tiene fiebre pero tiene tos, ¿es normal?")
        XCTAssertTrue(r3.hit(.symptomQuestion)?.evidence.contains { $0.text == "fiebre" && $0.modifiers.contains("negated") } ?? false)
        XCTAssertTrue(r3.hit(.symptomQuestion)?.evidence.contains { $0.modifiers.contains("experiencer:relative") } ?? false)
    }

    func testSymptomQuestionVersusVisitStory() {
        XCTAssertTrue(c.classify("My son has had a fever of 103 for two days, should I bring him in?").raised(.symptomQuestion))
        XCTAssertTrue(c.classify("¿Qué puedo tomar para el dolor de cabeza?").raised(.symptomQuestion))
        let story = c.classify("I came in last week with a terrible cough and Dr. Smith and the nurses were amazing. Thank you!")
        XCTAssertFalse(story.raised(.symptomQuestion))
        XCTAssertTrue(story.raised(.reviewFeedback))
        XCTAssertNil(story.hit(.phiExposure))
    }

    func testNameNearAnIdentifierIsPHIButAProviderIsNot() throws {
        // a phone alone is only reviewed; the same phone next to a person's name is raised, with the name as evidence
        XCTAssertFalse(c.classify("Please call (617) 234-5678 about the results").raised(.phiExposure))
        let named = c.classify("Please call John Mercer at (617) 234-5678 about his results")
        XCTAssertTrue(named.raised(.phiExposure))
        let ev = try XCTUnwrap(named.hit(.phiExposure)?.evidence.first { $0.rule == "phi.person_name" })
        XCTAssertEqual(ev.text, "John Mercer")
        // weak alone, identifying next to a name
        XCTAssertNil(c.classify("he has been in room 412 since Monday").hit(.phiExposure))
        XCTAssertTrue(c.classify("patient Maria Gonzalez in room 412 has no water").raised(.phiExposure))
        XCTAssertTrue(c.classify("El paciente Juan Pérez, de 67 años, está en la habitación 305").raised(.phiExposure))
        // a clinician title or credential makes the name a provider's
        for t in ["Dr. Ellen Ross was great, her office is at (617) 234-5678", "Ellen Ross, MD saw my 92 year old mother", "Nurse Kim in room 412 was lovely"] {
            XCTAssertFalse(c.classify(t).raised(.phiExposure), t)
        }
    }

    func testNameWordsKnowEachWordsKindsIncludingLongWords() {
        let words = NameWords(clinicianTitles: ["dr", "otorhinolaryngologist"], stopwords: [["the"], ["el"]])
        let toks = tokenize(NormalizedText("Dr otorhinolaryngologist the el patient mrs from MD has Maria").scalars, breaks: []).tokens
        let kinds = toks.map { words.kinds($0) }
        XCTAssertEqual(kinds[0], [.notName, .title])
        XCTAssertEqual(kinds[1], [.notName, .title])  // longer than a packed word: the text path
        XCTAssertEqual(kinds[2], .notName)
        XCTAssertEqual(kinds[3], .notName)
        XCTAssertEqual(kinds[4], [.notName, .lead])  // "patient" is no name, and the next word is
        XCTAssertEqual(kinds[5], .honorific)
        XCTAssertEqual(kinds[6], .place)
        XCTAssertEqual(kinds[7], .credential)
        XCTAssertEqual(kinds[8], .having)
        XCTAssertEqual(kinds[9], [])
        // in a text without case only a lead word makes a name
        XCTAssertTrue(c.classify("my name is maria gonzalez, call me at 617 234 5678 about my biopsy").hit(.phiExposure)?.evidence
            .contains { $0.rule == "phi.person_name" } ?? false)
        XCTAssertFalse(c.classify("please call me at 617 234 5678 about the biopsy results today").hit(.phiExposure)?.evidence
            .contains { $0.rule == "phi.person_name" } ?? false)
    }

    func testReviewSentiment() {
        XCTAssertEqual(c.classify("The staff were friendly and very professional").sentiment, .positive)
        XCTAssertEqual(c.classify("The staff were not friendly and very unprofessional").sentiment, .negative)
        XCTAssertEqual(c.classify("The doctor was nice but the billing office was a nightmare").sentiment, .negative)
        XCTAssertEqual(c.classify("The wait was long but the nurses were AMAZING!!!").sentiment, .positive)
        XCTAssertEqual(c.classify("Great clinic 😍👍").sentiment, .positive)
        XCTAssertEqual(c.classify("La atención fue pésima y el personal muy grosero").sentiment, .negative)
        XCTAssertEqual(c.classify("Excelente atención, muy amables").sentiment, .positive)
        XCTAssertEqual(c.classify("No me gustó, no lo recomiendo").sentiment, .negative)
        XCTAssertEqual(c.classify("I'm not suicidal, just tired of the parking situation lol").sentiment == .positive, false)
    }

    func testReviewKindAndRatingAlwaysGiveReviewFeedback() {
        let r = c.classify("ok", kind: .review, rating: 2)
        XCTAssertTrue(r.raised(.reviewFeedback))
        XCTAssertEqual(r.sentiment, .negative)
        XCTAssertEqual(r.template, "review.apology.en")
        XCTAssertTrue(c.classify("fine", rating: 5).raised(.reviewFeedback))
        XCTAssertEqual(r.hit(.reviewFeedback)?.evidence.first?.modifiers, ["kind:review"])
        XCTAssertEqual(c.classify("Horrible, rude staff", rating: 5).sentiment, .mixed)
    }

    func testLanguageDetection() {
        XCTAssertEqual(c.classify("My son has a fever and a cough").language, "en")
        XCTAssertEqual(c.classify("Mi hijo tiene fiebre y tos desde ayer").language, "es")
        XCTAssertEqual(c.classify("¿Dónde está el estacionamiento?").language, "es")
    }

    func testTemplatesAreRecommendedInTheMessageLanguage() throws {
        let p = try Fixture.policies()
        let r = c.classify("Mi hija tiene fiebre, ¿qué hago?")
        XCTAssertEqual(r.template, "symptom.appointment.es")
        let replies = p.templates(for: r, kind: .comment)
        XCTAssertEqual(replies.first?.templateID, "symptom.appointment.es")
        XCTAssertTrue(replies.first?.text.contains(p.organization.phone) ?? false)
        XCTAssertTrue(replies.first?.text.contains(p.organization.booking_link) ?? false)
        let s = c.classify("I want to end my life")
        XCTAssertEqual(s.template, "emergency.suicide.en")
        XCTAssertTrue(p.templates(for: s, kind: .comment).first?.text.contains("988") ?? false)
    }

    func testOversizeTextIsClassifiedOnItsStartAndMarked() {
        let text = "I want to end my life. " + String(repeating: "x ", count: Classifier.maxScalars)
        let r = c.classify(text)
        XCTAssertTrue(r.raised(.emergency))
        XCTAssertEqual(r.hit(.spam)?.decision, .review)
        XCTAssertEqual(r.hit(.spam)?.evidence.last?.rule, "spam.oversize")
        XCTAssertNil(c.classify("short text").hit(.spam))
    }

    /// Past 64k scalars the text is read in parallel segments: a statement anywhere in it is
    /// still found, with its span in the whole text, and the flags merge as in one piece.
    func testLongTextIsReadToTheEndInSegments() throws {
        let filler = String(repeating: "The parking garage was full again today. ", count: 4_000)  // 164k scalars
        let statement = "I want to end my life tonight."
        let text = filler + "Also my SSN is 123-45-6789. " + filler + statement + " " + filler
        let r = c.classify(text)
        let em = try XCTUnwrap(r.hit(.emergency))
        XCTAssertGreaterThanOrEqual(em.decision, .flag)
        let scalars = Array(text.unicodeScalars)
        for e in em.evidence {
            var s = String()
            s.unicodeScalars.append(contentsOf: scalars[e.span[0]..<e.span[1]])
            XCTAssertEqual(s, e.text, "evidence span points into the whole text")
        }
        XCTAssertTrue(em.evidence.contains { $0.span[0] > filler.unicodeScalars.count * 2 }, "the match is near the end")
        XCTAssertTrue(r.raised(.phiExposure), "the SSN in the second segment")
        XCTAssertEqual(r.template, "emergency.suicide.en")
        XCTAssertNil(r.hit(.spam), "long is not oversize")
    }

    func testSegmentsCoverTheTextAndCutAtSentences() {
        let text = Array(String(repeating: "One sentence here. ", count: 20_000).utf8)
        let cuts = Classifier.segmentBoundaries(text, size: Classifier.segmentBytes)
        XCTAssertEqual(cuts.first, 0)
        XCTAssertEqual(cuts.last, text.count)
        for k in 1..<cuts.count {
            XCTAssertLessThanOrEqual(cuts[k] - cuts[k - 1], Classifier.segmentBytes)
            XCTAssertGreaterThan(cuts[k] - cuts[k - 1], 0)
            if k < cuts.count - 1 { XCTAssertEqual(text[cuts[k] - 2], UInt8(ascii: "."), "cut after a sentence end") }
        }
        // no space at all: hard cuts, never inside a character, still covering everything
        let solid = Array(String(repeating: "ñ", count: 100_000).utf8)  // two bytes each
        let hard = Classifier.segmentBoundaries(solid, size: Classifier.segmentBytes)
        XCTAssertEqual(hard.first, 0)
        XCTAssertEqual(hard.last, solid.count)
        XCTAssertTrue(hard.dropLast().allSatisfy { solid[$0] & 0xC0 != 0x80 }, "a cut splits a character")
        XCTAssertEqual(hard.count, 5)
    }

    func testHostileInputDoesNotCrash() {
        _ = c.classify("")
        _ = c.classify("\u{0}\u{0}\u{0}fuck\u{0}")
        _ = c.classify(String(decoding: [0xFF, 0xFE, 0x66, 0x75, 0x63, 0x6B, 0xC3], as: UTF8.self))
        _ = c.classify(String(repeating: "\u{202E}\u{200D}", count: 1000))
        _ = c.classify(String(repeating: "?", count: 10000))
        _ = c.classify(String(repeating: "1", count: 100_000))
        _ = c.classify(String(repeating: "a", count: 100_000))
        _ = c.classify(String(repeating: "f u c k ", count: 10_000))
        _ = c.classify(String(repeating: "e\u{301}", count: 10_000))
        var big = ""
        while big.utf8.count < 1_000_000 { big += "my son has a fever 😷 call (617) 867-5309 ｆｕｃｋ año. " }
        let r = c.classify(big)
        XCTAssertTrue(r.raised(.phiExposure))
        XCTAssertLessThanOrEqual(r.hit(.phiExposure)?.evidence.count ?? 0, 50)
    }
}
