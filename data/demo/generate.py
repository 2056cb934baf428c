"""Generate the small synthetic demo sets in data/demo (written for class-it; no rows of the real CLASS-IT sets).

Run: python data/demo/generate.py   (pyarrow optional: without it the parquet file is not rewritten)
Outputs, in the CLASS-IT column format (prompt, reply, source, text):
  conversational.jsonl / conversational.parquet  (dialogue pairs)
  qa.jsonl                                       (question-answer pairs)
  transcript.txt                                 (raw A:/B: dialogue transcript)
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(1234)

TOPICS = {
    "weather": [
        ("What is the weather like where you are?", ["It has been raining all week here.", "It is sunny and warm today.", "We had snow this morning, believe it or not."]),
        ("Do you like the cold?", ["Not really, I would rather be warm.", "I do, I like to go skiing when it snows.", "It is fine as long as I have a good coat."]),
        ("Has it been windy lately?", ["Yes, a tree fell over on our street.", "No, it has been very calm.", "A little, mostly in the evenings."]),
    ],
    "pets": [
        ("Do you have any pets?", ["We have a dog named Max.", "I have two cats at home.", "No, but my kids want a rabbit."]),
        ("How old is your dog?", ["He is about five years old now.", "She just turned two.", "He is getting old, almost twelve."]),
        ("Who takes care of the animals?", ["Mostly my daughter feeds them.", "I walk the dog every morning.", "We all take turns during the week."]),
    ],
    "food": [
        ("What did you have for dinner?", ["We made pasta with tomato sauce.", "Just some soup and bread.", "We went out for pizza."]),
        ("Do you like to cook?", ["I love to cook on weekends.", "Not much, my wife is the cook.", "I can make a few simple things."]),
        ("What is your favorite food?", ["I would have to say fresh fish.", "Probably rice and beans.", "Anything with chocolate in it."]),
    ],
    "work": [
        ("What kind of work do you do?", ["I teach at the high school.", "I work in a hospital as a nurse.", "I fix cars at a small garage."]),
        ("Do you like your job?", ["Most days, yes.", "It is hard work but it pays the bills.", "I really enjoy the people I work with."]),
        ("How long is your drive to work?", ["About twenty minutes.", "I take the bus, it is close to an hour.", "I work from home, so no drive at all."]),
    ],
    "travel": [
        ("Have you been on a trip lately?", ["We drove to the coast last summer.", "Not in a long time.", "I flew to see my sister in March."]),
        ("Where would you like to go next?", ["I have always wanted to see the mountains.", "Somewhere warm with a beach.", "Maybe a big city, just for a few days."]),
        ("Do you like to fly?", ["I do not mind it.", "I get nervous on planes.", "I like the window seat the best."]),
    ],
    "sports": [
        ("Do you follow any sports?", ["I watch baseball in the summer.", "Mostly football on Sundays.", "Not really, I would rather play than watch."]),
        ("Did you play anything in school?", ["I ran track for two years.", "I played a little basketball.", "No, I was in the band instead."]),
        ("Who do you think will win this year?", ["I hope our home team does.", "It is too early to tell.", "Probably the same team as last year."]),
    ],
    "books": [
        ("Have you read anything good lately?", ["I just finished a mystery novel.", "I have been reading about history.", "Not much, I have been too busy."]),
        ("Do you read to your kids?", ["Every night before bed.", "They read on their own now.", "When they ask me to, yes."]),
        ("Do you use the library?", ["All the time, it is close to our house.", "Not since I was in school.", "Sometimes, mostly for movies."]),
    ],
    "family": [
        ("Do you have a big family?", ["I have three brothers.", "It is just me and my mother.", "Very big, we have lots of cousins."]),
        ("Do you see them often?", ["We get together every holiday.", "Not as much as I would like.", "Most of them live nearby, so yes."]),
        ("How many kids do you have?", ["We have two, a boy and a girl.", "Just one, she is seven.", "None yet."]),
    ],
}
FOLLOWUPS = ["Oh, really?", "That sounds nice.", "I know what you mean.", "Same here, actually.", "Huh, I did not know that.", "That is interesting."]
ELABORATIONS = ["It has been that way for a while.", "We will see how it goes.", "I think about it a lot.", "It keeps us busy.", "That is what I like about it.", "It is better than it used to be."]


def dialogues(n):
    out = []
    topics = list(TOPICS)
    for _ in range(n):
        topic = rng.choice(topics)
        turns = []
        speakers = ["A", "B"]
        for q, answers in rng.sample(TOPICS[topic], k=rng.randint(2, 3)):
            turns.append(q)
            ans = rng.choice(answers)
            if rng.random() < 0.5:
                ans += " " + rng.choice(ELABORATIONS)
            turns.append(ans)
            if rng.random() < 0.6:
                turns.append(rng.choice(FOLLOWUPS))
        out.append([(speakers[i % 2], t) for i, t in enumerate(turns)])
    return out


FACTS = [
    ("the sun", "a star", "The sun is a star at the center of our solar system."),
    ("the moon", "a natural satellite", "The moon goes around the Earth about once a month."),
    ("a whale", "a mammal", "Whales live in the ocean and breathe air."),
    ("a frog", "an amphibian", "Frogs start life as tadpoles in water."),
    ("an owl", "a bird", "Most owls hunt at night."),
    ("a spider", "an arachnid", "Spiders have eight legs and many spin webs."),
    ("a volcano", "an opening in the ground", "Hot melted rock called lava can come out of a volcano."),
    ("a river", "a stream of water", "Rivers flow downhill into lakes or the sea."),
    ("a desert", "a very dry place", "Deserts get very little rain each year."),
    ("a glacier", "a large body of ice", "Glaciers move very slowly down valleys."),
    ("a piano", "a musical instrument", "A piano makes sound when hammers hit strings."),
    ("a bicycle", "a vehicle with two wheels", "People ride bicycles by pushing pedals."),
    ("bread", "a food", "Bread is made from flour, water and yeast."),
    ("a library", "a place with books", "People can borrow books from a library for free."),
    ("a calendar", "a way to count days", "A calendar shows the days, weeks and months of a year."),
    ("a rainbow", "a band of colors", "A rainbow appears when sunlight shines through rain drops."),
    ("a bee", "an insect", "Bees collect nectar from flowers to make honey."),
    ("an island", "land with water all around it", "Some islands are very small and some are very large."),
    ("a forest", "a large area with many trees", "Many animals make their homes in forests."),
    ("a clock", "a tool that shows the time", "Most clocks have hands or numbers on a face."),
]
PLACES = [("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Egypt", "Cairo"), ("Canada", "Ottawa"), ("Spain", "Madrid"),
          ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Norway", "Oslo"), ("India", "New Delhi"), ("Germany", "Berlin"), ("Mexico", "Mexico City")]
NUMBERS = [("legs", "a spider", "eight"), ("legs", "an insect", "six"), ("days", "a week", "seven"), ("months", "a year", "twelve"),
           ("hours", "a day", "twenty-four"), ("minutes", "an hour", "sixty"), ("sides", "a triangle", "three"), ("sides", "a square", "four"),
           ("wheels", "a bicycle", "two"), ("players", "a soccer team on the field", "eleven"), ("colors", "a rainbow", "seven"), ("planets", "our solar system", "eight")]

SOUNDS = [("dog", "barks"), ("cat", "meows"), ("cow", "moos"), ("duck", "quacks"), ("lion", "roars"), ("sheep", "bleats"),
          ("horse", "neighs"), ("owl", "hoots"), ("snake", "hisses"), ("bee", "buzzes"), ("frog", "croaks"), ("pig", "oinks")]
OPPOSITES = [("hot", "cold"), ("big", "small"), ("fast", "slow"), ("up", "down"), ("day", "night"), ("happy", "sad"),
             ("open", "closed"), ("early", "late"), ("full", "empty"), ("light", "dark"), ("old", "new"), ("wet", "dry")]


def qa_pairs():
    pairs = []
    for thing, kind, sentence in FACTS:
        pairs.append((f"What is {thing}?", f"{thing[0].upper() + thing[1:]} is {kind}. {sentence}", sentence))
        pairs.append((f"Read this: {sentence} Question: what is this text about?", f"It is about {thing}.", sentence))
        pairs.append((f"Tell me one fact about {thing}.", sentence, sentence))
    for country, capital in PLACES:
        ctx = f"{country} is a country. Its capital city is {capital}."
        pairs.append((f"What is the capital of {country}?", f"The capital of {country} is {capital}.", ctx))
        pairs.append((f"Read this: {ctx} Question: which country has {capital} as its capital?", f"{country}.", ctx))
        pairs.append((f"In which country is {capital}?", f"{capital} is in {country}.", ctx))
    for unit, thing, n in NUMBERS:
        ctx = f"There are {n} {unit} in {thing}."
        pairs.append((f"How many {unit} are there in {thing}?", f"There are {n} {unit} in {thing}.", ctx))
        pairs.append((f"Read this: {ctx} Question: how many {unit}?", f"{n[0].upper() + n[1:]}.", ctx))
    for animal, sound in SOUNDS:
        ctx = f"A {animal} is an animal. A {animal} {sound}."
        pairs.append((f"What sound does a {animal} make?", f"A {animal} {sound}.", ctx))
        pairs.append((f"Which animal {sound}?", f"A {animal} {sound}.", ctx))
        pairs.append((f"Read this: {ctx} Question: what does a {animal} do?", f"It {sound}.", ctx))
    for a, b in OPPOSITES:
        ctx = f"The words {a} and {b} have opposite meanings."
        pairs.append((f"What is the opposite of {a}?", f"The opposite of {a} is {b}.", ctx))
        pairs.append((f"What is the opposite of {b}?", f"The opposite of {b} is {a}.", ctx))
        pairs.append((f"Are {a} and {b} opposites?", f"Yes, {a} and {b} are opposites.", ctx))
    rng.shuffle(pairs)
    return pairs


def main():
    convo_rows = []
    for d in dialogues(90):
        for i in range(1, len(d)):
            ctx = d[max(0, i - 2):i]
            prompt = "\n".join(f"{s}: {t}" for s, t in ctx)
            reply = d[i][1]
            convo_rows.append({"prompt": prompt, "reply": reply, "source": "demo-dialogue", "text": prompt + "\n" + d[i][0] + ": " + reply})
    convo_rows = convo_rows[:300]
    qa_rows = [{"prompt": q, "reply": a, "source": "demo-wiki", "text": f"{ctx}\n{q}\n{a}"} for q, a, ctx in qa_pairs()]

    with open(os.path.join(HERE, "conversational.jsonl"), "w") as f:
        for r in convo_rows:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(HERE, "qa.jsonl"), "w") as f:
        for r in qa_rows:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(HERE, "transcript.txt"), "w") as f:
        for d in dialogues(25):
            for s, t in d:
                f.write(f"{s}: {t}\n")
            f.write("\n")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.table({k: [r[k] for r in convo_rows[:120]] for k in ["prompt", "reply", "source", "text"]})
        # two row groups, so readers are tested on streaming more than one
        pq.write_table(table, os.path.join(HERE, "conversational.parquet"), row_group_size=60, compression="snappy")
    except ImportError:
        print("pyarrow not installed: conversational.parquet not written")
    print(len(convo_rows), "dialogue pairs,", len(qa_rows), "qa pairs")


if __name__ == "__main__":
    main()
