import Foundation
import XCTest
@testable import Policy
import InboxModel

final class SentimentModelTests: XCTestCase {
    func tokens(_ text: String) -> [Token] { tokenize(NormalizedText(text).scalars, breaks: []).tokens }

    func testLogOddsSumsWordsAndPairsOfOneSentence() throws {
        let m = try SentimentModel.parse("en | _bias | 0.5\nen | _lexicon | 2\nen | good | 1\nen | not good | -3\nen | incomprehensibly | -0.25\n",
                                         display: "m.txt", languages: ["en"])
        // 0.5 + 2 * 0.1 + good 1 + "not good" -3 + the long word -0.25
        XCTAssertEqual(try XCTUnwrap(m.logOdds(tokens("It was not good, incomprehensibly"), language: "en", lexicon: 0.1)), -1.55, accuracy: 1e-9)
        // a pair across a sentence end is not a pair
        XCTAssertEqual(try XCTUnwrap(m.logOdds(tokens("Not. Good"), language: "en", lexicon: 0)), 1.5, accuracy: 1e-9)
        XCTAssertNil(m.logOdds(tokens("bueno"), language: "es", lexicon: 0))
        let strongest = m.strongest(tokens("not good"), language: "en", direction: -1, count: 3)
        XCTAssertEqual(strongest.map(\.weight), [-3])
    }

    func testTrainingEnumeratesWhatClassificationLooksUp() {
        XCTAssertEqual(SentimentFeatures.strings(tokens("Not good. Rude staff")), ["not", "not good", "good", "rude", "rude staff", "staff"])
    }

    func testBrokenWeightsFileNamesFileAndLine() {
        let cases = ["en | good\n": "expected 'language | feature | weight'", "fr | bon | 1\n": "language 'fr'",
                     "en | good | x\n": "weight 'x'", "en | good | 1\nen | good | 2\n": "listed twice (first at line 2)",
                     "en | a b c | 1\n": "one or two lowercase words"]
        for (text, message) in cases {
            XCTAssertThrowsError(try SentimentModel.parse("# c\n" + text, display: "Policies/models/sentiment.txt", languages: ["en", "es"]), text) { e in
                let d = (e as? PolicyError)?.description ?? ""
                XCTAssertTrue(d.hasPrefix("Policies/models/sentiment.txt:"), d)
                XCTAssertTrue(d.contains(message), d)
            }
        }
    }

    func testWeightsFileToleratesCarriageReturnsAndTabsButNotExtraColumns() throws {
        let m = try SentimentModel.parse("# settings: x\r\nen |\tgood | 1.5\r\n\ten | not  good | -2 \r\n", display: "m.txt", languages: ["en"])
        XCTAssertEqual(m.settings, "x")
        XCTAssertEqual(try XCTUnwrap(m.logOdds(tokens("not good"), language: "en", lexicon: 0)), -0.5, accuracy: 1e-9)
        for text in ["en | good | 1 | 2\n", "en | Good | 1\n", "en | ÉXITO | 1\n", "en | good |\n"] {
            XCTAssertThrowsError(try SentimentModel.parse(text, display: "m.txt", languages: ["en"]), text) { e in
                XCTAssertTrue(((e as? PolicyError)?.description ?? "").hasPrefix("m.txt:1:"), "\(e)")
            }
        }
        XCTAssertEqual(splitBytes("a||b|", 0x7C), ["a", "", "b", ""])
        XCTAssertEqual(trimmedSpaces(" \t x y\r "), "x y")
    }

    func testEvidenceWeightsPrintAsTheirNumbersWithASign() {
        // every hundredth a weight can round to prints as Swift prints the number, with a sign
        for c in -2000...2000 {
            let w = Double(c) / 100
            XCTAssertEqual(signedHundredths(w), (w > 0 ? "+" : "") + "\(w)", "\(w)")
        }
        XCTAssertEqual(signedHundredths(-0.0), "-0.0")
    }

    func testTrainingIsDeterministicAndSkipsIgnoredAndFunctionWords() throws {
        let p = try Fixture.policies()
        var ex: [SentimentExample] = []
        for i in 0..<12 {
            ex.append(SentimentExample(text: "The nurse was wonderful and the hotel lovely \(i)", positive: true))
            ex.append(SentimentExample(text: "The nurse was rude and the hotel dirty \(i)", positive: false))
        }
        var s = SentimentTrainingSettings()
        s.ignore = ["hotel"]
        let a = SentimentTrainer.train(ex, policies: p, settings: s, provenance: ["data: test"])
        let b = SentimentTrainer.train(ex, policies: p, settings: s, provenance: ["data: test"])
        XCTAssertEqual(a.fileText, b.fileText)
        let features = a.fileText.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "|")[1].trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(features.contains("rude"), a.fileText)
        XCTAssertFalse(features.contains { $0.split(separator: " ").contains("hotel") }, "an ignored topic word is never a feature")
        XCTAssertFalse(features.contains("the"), "a function word alone is not a feature")
        XCTAssertTrue(a.fileText.contains("# settings: \(s.summary)"))
        let m = try SentimentModel.parse(a.fileText, display: "m", languages: ["en", "es"])
        XCTAssertLessThan(m.languages["en"]!.weights[Int(m.languages["en"]!.table.find(WordKey("rude")!)!)], 0)
    }

    func testAStaleModelIsRefusedWithTheCommandToRetrain() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "sentiment.yml") { $0.replacingOccurrences(of: "  epochs: 20", with: "  epochs: 21") }
        let e = try XCTUnwrap(Fixture.loadError(dir))
        XCTAssertTrue(e.description.hasPrefix("Policies/models/sentiment.txt:1:"), e.description)
        XCTAssertTrue(e.description.contains("rounds policy train-sentiment"), e.description)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("models/sentiment.txt"))
        XCTAssertTrue(try XCTUnwrap(Fixture.loadError(dir)).description.contains("not found: train it"))
    }
}

/// Review recognition and sentiment from the text alone: the general cues of issue 20.
final class ReviewCueTests: XCTestCase {
    var c: Classifier!
    override func setUpWithError() throws { c = try Fixture.classifier() }

    func testReviewsWrittenAsCommentsAreRecognised() {
        let cases: [(String, Sentiment)] = [
            ("the staff at the ER were so kind to my mom", .positive),
            ("do not go here, they lost my results twice", .negative),
            ("Very unprofessional and dangerously incompetent!", .negative),       // a verdict needs no service word
            ("Dr. Patel really listens and takes the time to explain everything.", .positive),
            ("Stay away from this place, they charged me twice for the same visit", .negative),
            ("Pésima atención, esperé tres horas y nadie me atendió", .negative),
            ("El personal fue muy amable y la atención excelente, gracias", .positive),
        ]
        for (text, sentiment) in cases {
            let r = c.classify(text)
            XCTAssertTrue(r.raised(.reviewFeedback), text)
            XCTAssertEqual(r.sentiment, sentiment, text)
        }
    }

    func testQuestionsAbuseAndGreetingsAreNotReviews() {
        let q = c.classify("My doctor is great but is it normal to have chest tightness after taking metformin?")
        XCTAssertTrue(q.raised(.symptomQuestion))
        XCTAssertFalse(q.raised(.reviewFeedback), "a health question with an opinion is a question")
        let abuse = c.classify("she is a stupid bitch, worst person ever")
        XCTAssertTrue(abuse.raised(.offensive))
        XCTAssertFalse(abuse.raised(.reviewFeedback), "abuse aimed at a person is not a review of care")
        for t in ["Happy Nurses Week to all nurses everywhere!", "What time does the clinic open on Saturday?", "great song, love it"] {
            XCTAssertFalse(c.classify(t).raised(.reviewFeedback), t)
        }
        XCTAssertEqual(c.classify("What time does the clinic open on Saturday?").sentiment, .neutral)
    }

    func testSentimentEvidenceIsTheWordsThatDecided() throws {
        let r = c.classify("Worst experience ever. Waited three hours and the bill was wrong. Never again.")
        let ev = try XCTUnwrap(r.hit(.reviewFeedback)?.evidence.filter { $0.rule.hasPrefix("sentiment.") })
        XCTAssertEqual(ev.count, 3)
        XCTAssertTrue(ev.allSatisfy { $0.contribution < 0 && $0.modifiers.first?.hasPrefix("weight -") == true }, "\(ev)")
        XCTAssertEqual(ev.first?.text, "Worst")
    }

    func testTheRatingDecidesUnlessTheTextClearlySaysTheOpposite() {
        XCTAssertEqual(c.classify("It was fine I guess", kind: .review, rating: 2).sentiment, .negative)
        XCTAssertEqual(c.classify("Worst doctor ever, rude, dismissive and incompetent. Never again. Stay away.", kind: .review, rating: 5).sentiment, .mixed)
        XCTAssertEqual(c.classify("Wonderful caring doctor, highly recommend", kind: .review, rating: 5).sentiment, .positive)
    }
}
