import { SeededRandom } from '../random/seededRandom';

/**
 * The synthetic demo corpus: short step-structured procedures ("How to bake bread. Step 1: Mix
 * the flour. Step 2: ...") mixed with ordinary prose. Small closed vocabulary so a word-level
 * tokenizer covers it without unknown tokens, and word order regular enough that bigram
 * statistics predict the next token well.
 */

export interface DemoDocument {
  text: string;
  kind: 'procedure' | 'prose';
}

interface Task {
  title: string;
  steps: string[];
}

const TASKS: Task[] = [
  { title: 'bake bread', steps: ['Mix the flour and water', 'Knead the dough', 'Let the dough rest', 'Shape the loaf', 'Heat the oven', 'Bake the loaf', 'Cool the bread'] },
  { title: 'make tea', steps: ['Boil the water', 'Warm the pot', 'Add the leaves', 'Pour the water', 'Wait a few minutes', 'Pour the tea', 'Add the milk'] },
  { title: 'plant a tree', steps: ['Choose a sunny spot', 'Dig a wide hole', 'Place the tree', 'Fill the hole with soil', 'Press the soil', 'Water the tree', 'Add a layer of mulch'] },
  { title: 'fix a flat tire', steps: ['Remove the wheel', 'Take out the tube', 'Find the hole', 'Patch the hole', 'Put the tube back', 'Pump the tire', 'Fit the wheel'] },
  { title: 'clean the kitchen', steps: ['Clear the table', 'Wash the dishes', 'Dry the dishes', 'Wipe the counter', 'Sweep the floor', 'Take out the trash'] },
  { title: 'paint a wall', steps: ['Move the furniture', 'Cover the floor', 'Tape the edges', 'Stir the paint', 'Paint the edges', 'Roll the wall', 'Let the paint dry'] },
  { title: 'write a letter', steps: ['Find a quiet desk', 'Write the date', 'Greet the reader', 'Write the message', 'Sign the letter', 'Fold the letter', 'Seal the envelope'] },
  { title: 'cook rice', steps: ['Rinse the rice', 'Add the water', 'Boil the water', 'Cover the pot', 'Lower the heat', 'Wait a few minutes', 'Stir the rice'] },
  { title: 'wash the car', steps: ['Rinse the car', 'Fill a bucket with soap', 'Wash the roof', 'Wash the doors', 'Rinse the soap', 'Dry the car'] },
  { title: 'build a shelf', steps: ['Measure the wall', 'Cut the boards', 'Sand the boards', 'Drill the holes', 'Fit the brackets', 'Place the shelf', 'Check the level'] },
];

const ADVERBS = ['slowly', 'quickly', 'carefully', 'gently', 'well'];
const CLOSINGS = ['Enjoy the result.', 'That is all.', 'You are done.', 'Clean up after.'];
const INTROS = ['This is easy.', 'It takes an hour.', 'You need a little time.', 'Read the steps first.'];

const SUBJECTS = ['The cat', 'The dog', 'A child', 'The old man', 'My friend', 'The teacher', 'A bird', 'The farmer', 'Her sister', 'The baker'];
const VERBS = ['walked', 'ran', 'looked', 'slept', 'waited', 'sat', 'sang', 'smiled', 'worked', 'read'];
const PLACES = ['in the garden', 'by the river', 'near the house', 'at the table', 'in the park', 'on the hill', 'under the tree', 'at the market'];
const TIMES = ['in the morning', 'after lunch', 'at night', 'all day', 'for a while', 'on Sunday'];
const WEATHER = ['The sun was warm.', 'The rain fell softly.', 'The wind was cold.', 'The sky was clear.', 'It was a quiet day.'];
const FEELINGS = ['Everyone was happy.', 'Nobody said a word.', 'It was a good day.', 'They talked for hours.', 'The house was calm.'];

function proseSentence(rng: SeededRandom): string {
  const r = rng.next();
  if (r < 0.15) return rng.pick(WEATHER);
  if (r < 0.25) return rng.pick(FEELINGS);
  const parts = [rng.pick(SUBJECTS), rng.pick(VERBS)];
  if (rng.next() < 0.3) parts.push(rng.pick(ADVERBS));
  parts.push(rng.pick(PLACES));
  if (rng.next() < 0.4) parts.push(rng.pick(TIMES));
  return `${parts.join(' ')}.`;
}

function procedure(rng: SeededRandom): string {
  const task = rng.pick(TASKS);
  const out = [`How to ${task.title}.`];
  if (rng.next() < 0.4) out.push(rng.pick(INTROS));
  // Consecutive steps from the task's list keep the order meaningful ("Knead" follows "Mix").
  const count = 3 + rng.int(Math.min(5, task.steps.length - 2));
  const start = rng.int(task.steps.length - count + 1);
  for (let i = 0; i < count; i++) {
    const adverb = rng.next() < 0.25 ? ` ${rng.pick(ADVERBS)}` : '';
    out.push(`Step ${i + 1}: ${task.steps[start + i]}${adverb}.`);
  }
  if (rng.next() < 0.5) out.push(rng.pick(CLOSINGS));
  return out.join(' ');
}

function prose(rng: SeededRandom): string {
  const n = 2 + rng.int(4);
  return Array.from({ length: n }, () => proseSentence(rng)).join(' ');
}

/** `count` documents, about half procedures and half prose, identical for a given seed. */
export function generateCorpus(count: number, seed: number): DemoDocument[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => (rng.next() < 0.5 ? { kind: 'procedure', text: procedure(rng) } : { kind: 'prose', text: prose(rng) }));
}

/** The token strings a whitespace-and-punctuation split yields (what the demo tokenizer does). */
export function splitWords(text: string): string[] {
  return text.match(/\w+|[^\w\s]+/gu) ?? [];
}
