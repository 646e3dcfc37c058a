import Console

// The console and the policy module both name a ReplyTemplate, RemovalReason and
// GuardViolation, and the Console module also has a type called Console, so `Console.X`
// cannot pick them apart. This file sees only the console's, and names them.
typealias ConsoleReplyTemplate = ReplyTemplate
typealias ConsoleRemovalReason = RemovalReason
typealias ConsoleGuardViolation = GuardViolation
