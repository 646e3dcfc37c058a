import Foundation
import InboxModel

/// A seeded generator of realistic synthetic inboxes: every platform and kind, English and
/// Spanish, mostly short texts with a long tail, every flag in rough real proportions,
/// spread over months. The same seed gives the same bytes.
public struct SyntheticInbox {
    private var rng: SplitMix64
    private let start: Int64
    private let span: Int64
    private let idPrefix: String

    public init(seed: UInt64, idPrefix: String = "syn", start: Int64 = 1_780_000_000, days: Int64 = 120) {
        rng = SplitMix64(seed: seed)
        self.idPrefix = idPrefix
        self.start = start
        span = days * 86_400
    }

    /// Writes `messages` messages as Rounds JSON Lines to a new file at `path`, synced before
    /// it returns: otherwise the kernel writes the file back 30 s later, in the middle of the
    /// benchmark that reads it, and stalls the inbox's commits.
    public static func write(messages: Int, seed: UInt64 = 1, idPrefix: String = "syn", to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]),
              let out = FileHandle(forWritingAtPath: path) else {
            throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? out.close() }
        var gen = SyntheticInbox(seed: seed, idPrefix: idPrefix)
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        for i in 0..<messages {
            buffer += gen.next(i, of: messages)
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 {
                try out.write(contentsOf: Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try out.write(contentsOf: Data(buffer.utf8))
        try out.synchronize()
    }

    // Fragments, mixed at random so texts vary. Proportions: ~70% ordinary and questions,
    // ~8% reviews, ~6% symptom questions, ~4% offensive, ~3% spam, ~1.5% emergencies, ~1% PHI.
    static let ordinary = [
        "what time does the lab open on saturday", "congrats on the new maternity wing!", "is the parking garage open today",
        "thank you all for everything you do", "are you hiring nurses right now", "when are flu shots available",
        "what are the visiting hours for the icu", "where do i park for the cancer center", "does the clinic take walk ins",
        "¿a qué hora abre el laboratorio?", "felicidades por la nueva sala de maternidad", "¿dónde está el estacionamiento?",
        "gracias por todo lo que hacen", "¿tienen vacunas contra la gripe?", "love this team ❤️", "great post, shared!",
    ]
    static let questions = [
        "my son has had a fever of 103 for two days, should I bring him in?", "is it normal to have a rash after the vaccine?",
        "can i take ibuprofen with my blood pressure meds?", "my mom has been dizzy since yesterday what should we do",
        "mi hija tiene fiebre desde anoche, ¿qué hago?", "¿es normal tener dolor de cabeza después de la vacuna?",
        "i've had a cough for three weeks, do i need an xray?", "my back pain is getting worse, should i see someone?",
    ]
    static let reviews = [
        "Dr. Patel was wonderful and the nurses were so kind", "Waited three hours in the ER, terrible experience",
        "Great nurses but the billing department is a nightmare", "Clean, fast and friendly. Highly recommend.",
        "Front desk was rude and nobody called me back", "La atención fue excelente, muy amables todos",
        "Pésimo servicio, esperé cuatro horas", "Parking is impossible but the care was great",
    ]
    static let offensive = [
        "you people are fucking useless", "this place is a joke, total idiots", "f u c k this hospital",
        "sh1t service from a bunch of clowns", "son unos idiotas", "stupid ass front desk", "fuuuuck your billing",
    ]
    static let spam = [
        "DM me for 10k followers fast!!! http://spam.example", "Earn $5000/week from home, click my profile",
        "crypto giveaway 🚀🚀 send 1 BTC get 2 back", "miracle cure for diabetes, order now at cure.example",
    ]
    static let emergencies = [
        "chest pain right now and my left arm is numb", "my dad can't breathe what do i do", "i want to kill myself tonight",
        "my toddler swallowed some pills from my purse", "her face is drooping and her speech is slurred",
        "no quiero vivir más", "this wait is killing me lol", "i'm not suicidal, just tired of the parking situation",
    ]
    static let phi = [
        "I'm Jane Doe, DOB 03/14/1961, MRN 4471-2290, why was my biopsy result not sent?",
        "call me at (555) 013-4477, my member ID is XZP448812 and I have stage 2 breast cancer",
        "my neighbour Tom Reyes has HIV and was at your clinic yesterday", "my email is pat.l@example.com, 12 Oak Street, re my chemo",
    ]
    static let filler = [
        "also", "honestly", "and", "but", "the staff", "last week", "my family", "again", "please help", "thanks",
        "we have been waiting", "nobody answers the phone", "it's been a long week", "por favor", "gracias", "también",
    ]

    /// Message `i` of `count`: times rise with `i` (an inbox fills in time order), with jitter.
    mutating func next(_ i: Int, of count: Int) -> String {
        let roll = rng.unit()
        let (platform, kind): (String, String) = {
            switch rng.below(100) {
            case 0..<35: return ("facebook", ["comment", "comment", "reply", "mention", "post"][rng.below(5)])
            case 35..<50: return ("messenger", "dm")
            case 50..<68: return ("instagram", ["comment", "comment", "reply", "mention", "dm"][rng.below(5)])
            case 68..<88: return ("x", ["mention", "mention", "reply", "dm"][rng.below(4)])
            default: return ("gbp", "review")
            }
        }()
        var text: String
        var rating: Int?
        if kind == "review" || roll < 0.08 {
            text = Self.reviews[rng.below(Self.reviews.count)]
            rating = text.contains("Waited") || text.contains("rude") || text.contains("Pésimo") ? 1 + rng.below(2) : 3 + rng.below(3)
        } else if roll < 0.14 { text = Self.questions[rng.below(Self.questions.count)] }
        else if roll < 0.18 { text = Self.offensive[rng.below(Self.offensive.count)] }
        else if roll < 0.21 { text = Self.spam[rng.below(Self.spam.count)] }
        else if roll < 0.225 { text = Self.emergencies[rng.below(Self.emergencies.count)] }
        else if roll < 0.235 { text = Self.phi[rng.below(Self.phi.count)] }
        else { text = Self.ordinary[rng.below(Self.ordinary.count)] }
        // Lengths: mostly short, a long tail, and a very few very long texts.
        let tail = rng.unit()
        let extra = tail < 0.7 ? 0 : tail < 0.97 ? 1 + rng.below(12) : tail < 0.9995 ? 20 + rng.below(80) : 2000
        for _ in 0..<extra { text += " " + Self.filler[rng.below(Self.filler.count)] }
        if rng.below(10) == 0 { text += ["!!", " 🙏", " 😡", "?", " lol", " 👍"][rng.below(6)] }

        let step = Double(span) / Double(max(count, 1))
        let time = start + Int64(Double(i) * step) + Int64(rng.below(Int(max(step * 20, 1))))
        let author = "user\(rng.below(200_000))"
        var line = #"{"platform":"\#(platform)","kind":"\#(kind)","id":"\#(idPrefix)-\#(Self.padded(i))","author":"\#(author)","author_name":"User \#(author.dropFirst(4))","text":\#(String.jsonQuoted(text)),"created_at":"\#(UTCTime.iso(time))""#
        if let rating { line += #","rating":\#(rating)"# }
        if kind == "comment" || kind == "reply" { line += #","post_id":"post-\#(rng.below(500))""# }
        return line + "}"
    }

    /// Platform ids have a fixed width and grow with time; so do these (and so an index on
    /// them fills at its end, as it does for real ids).
    static func padded(_ i: Int) -> String {
        let digits = String(i)
        return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed, the same sequence.
public struct SplitMix64 {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
