namespace Haven.Synthetic;

/// <summary>
/// Word lists for synthetic clinical text. Invented for Haven; no entry comes from a real record.
/// </summary>
internal static class SyntheticVocabulary
{
    public static readonly string[] Subjects =
    [
        "I", "I", "I", "we", "my therapist", "my sister", "the nurse", "my partner", "the group",
        "my manager", "my mother", "my father", "the counsellor", "my friend", "the doctor",
        "my roommate", "my coach", "my son", "my daughter", "the pharmacist", "our team",
        "my neighbour", "the receptionist", "my brother", "the psychiatrist", "my colleague",
    ];

    public static readonly string[] Verbs =
    [
        "noticed", "talked about", "worried about", "avoided", "tried", "practised",
        "remembered", "wrote down", "skipped", "finished", "started", "struggled with", "enjoyed",
        "planned", "cancelled", "postponed", "managed", "questioned", "accepted", "challenged",
        "described", "named", "tracked", "ignored", "discussed", "rehearsed", "reviewed",
        "reframed", "celebrated", "dreaded", "forgot", "returned to", "pushed through",
        "laughed about", "cried after", "wondered about", "complained about", "handled",
        "looked forward to", "put off", "prepared for", "recovered from", "slept through",
        "paused before", "checked in about", "asked about", "agreed to", "refused", "repeated",
    ];

    public static readonly string[] Objects =
    [
        "the breathing exercise", "a short walk", "racing thoughts", "the appointment",
        "my medication", "the sleep diary", "a panic attack", "the grounding technique",
        "the journal", "a cold glass of water", "a long shower", "the crowded bus", "an argument",
        "the phone call", "the deadline", "a difficult email", "the grocery shopping",
        "the group session", "a headache", "the body scan", "my thought record", "the relapse plan",
        "an old photo", "the weekly review", "a heavy feeling in my chest", "the night shift",
        "the morning routine", "my lunch break", "the homework sheet", "a sudden memory",
        "the kitchen mess", "the unpaid bills", "the train delay", "a quiet evening", "the dog walk",
        "my blood test", "the waiting list", "the worry time", "the exposure step", "a nap",
        "the five senses exercise", "the gratitude list", "a video call", "the birthday dinner",
        "my running shoes", "the yoga class", "the check-in form", "a new recipe", "the podcast",
        "a loud neighbour", "the landlord", "my tax return", "the garden", "an unexpected visit",
        "the dentist", "my sleep schedule", "a tight jaw", "the loud office", "a slow morning",
        "the evening news", "my caffeine intake", "the missed dose", "a side effect", "the weekend",
        "the support line", "the new job", "the school run", "a long drive", "a bad dream",
        "the crisis card", "the safety plan", "the follow-up visit", "a sugary snack", "the rain",
    ];

    public static readonly string[] Feelings =
    [
        "anxious", "calm", "tired", "hopeful", "irritable", "flat", "restless", "overwhelmed",
        "steady", "numb", "lighter", "tense", "grateful", "lonely", "proud", "ashamed", "wired",
        "sluggish", "content", "on edge", "hollow", "relieved", "frustrated", "scattered",
        "motivated", "low", "shaky", "grounded", "drained", "curious", "guilty", "safe", "jittery",
        "heavy", "clear-headed", "foggy", "sad", "hopeless", "settled", "panicky",
    ];

    public static readonly string[] Times =
    [
        "this morning", "after lunch", "before bed", "around midnight", "on the way home",
        "during the meeting", "at the pharmacy", "in the waiting room", "on Tuesday",
        "over the weekend", "after dinner", "at work", "in the car", "at the supermarket",
        "before the session", "after the session", "in the early hours", "at breakfast",
        "on the phone", "in the park", "at my desk", "on the train", "last night", "yesterday",
        "all afternoon", "for most of the day", "when I woke up", "after the gym", "at school pickup",
    ];

    public static readonly string[] Connectors =
    [
        "because", "although", "and then", "but", "so", "after", "while", "until", "even though",
        "which meant", "since", "before", "and", "yet", "once",
    ];

    public static readonly string[] Techniques =
    [
        "box breathing", "progressive muscle relaxation", "cognitive restructuring",
        "behavioural activation", "a thought record", "the 5-4-3-2-1 exercise", "urge surfing",
        "opposite action", "self-compassion break", "sleep restriction", "worry postponement",
        "paced breathing", "mindful walking", "values clarification", "graded exposure",
    ];

    public static readonly string[] Medications =
    [
        "sertraline 50mg", "sertraline 100mg", "fluoxetine 20mg", "escitalopram 10mg",
        "citalopram 20mg", "venlafaxine 75mg", "mirtazapine 15mg", "bupropion 150mg",
        "quetiapine 25mg", "lamotrigine 100mg", "lithium 400mg", "propranolol 10mg",
        "melatonin 2mg", "hydroxyzine 25mg", "aripiprazole 5mg", "duloxetine 60mg", "none",
    ];

    public static readonly string[] Conditions =
    [
        "generalised anxiety", "major depressive disorder", "PTSD", "insomnia", "panic disorder",
        "bipolar II", "OCD", "ADHD", "social anxiety", "none recorded", "postnatal depression",
        "seasonal affective disorder", "health anxiety", "eating disorder in recovery",
    ];

    public static readonly string[] AssistantOpeners =
    [
        "It sounds like", "Thank you for sharing that.", "That makes sense.", "I hear that",
        "Let's slow down for a moment.", "You mentioned that", "It can help to notice that",
        "Would it help to try", "One option is", "Looking back at your notes,",
    ];

    /// <summary>Syllables for invented names of people, places and pets.</summary>
    public static readonly string[] Syllables =
    [
        "ka", "lo", "mi", "ra", "ven", "tor", "ash", "bel", "cor", "dra", "el", "fen", "gal", "hol",
        "is", "jor", "kel", "lan", "mor", "nes", "ol", "per", "quin", "ros", "sil", "tam", "ul",
        "vor", "wen", "yar", "zel", "bri", "cal", "dun", "em", "far", "gri", "hest", "ith", "lem",
        "mar", "nor", "ost", "pim", "rud", "sten", "thal", "ur", "vik", "wyn", "ard", "bro", "den",
        "ger", "har", "ivo", "jen", "lis", "mab", "nim", "orr", "pal", "sev", "tib",
    ];

    public static readonly string[] PlaceKinds =
    [
        "clinic", "park", "station", "library", "market", "road", "surgery", "centre", "street",
        "gardens", "pool", "hall",
    ];
}
