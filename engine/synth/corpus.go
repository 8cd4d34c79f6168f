package synth

// corpus is the text the synthetic vocabularies learn their first merges
// from: plain English written for this purpose, so that common words and
// word pieces become tokens as in a real vocabulary.
const corpus = `Once upon a time, in a small town by the sea, there was a baker who got up every morning before the sun.
She lit the oven, mixed the flour with water and salt, and waited for the dough to rise. The people of the town
came to her shop for bread, for cakes and for the news of the day. "Good morning!" she said to each of them,
and they said good morning back, because that is what people in a small town do.

One day a young man came into the shop. He was not from the town, and he had a strange machine with him: a
little computer that could talk. "This computer has read many books," he said, "and it can answer questions.
Ask it anything you like." The baker looked at the machine for a long time. Then she asked it how to make the
best bread in the world. The computer thought for a moment and said that the best bread is the one you share
with your friends. The baker laughed. "That is a good answer," she said, "but it is not a recipe."

The young man explained that the computer was a language model. It had learned which words tend to follow
which other words, and so it could write sentences that made sense, most of the time. It did not need the
internet; it ran on the computer itself, on its own memory and its own processor. The smaller the model, the
faster it could answer, but the more mistakes it made. A model with one billion parameters needs about one
gigabyte of memory when each weight is stored in eight bits, and half of that in four bits.

"Why do you need so many numbers?" asked the baker. "Each number is a small piece of what the model knows,"
said the young man. "When it reads a question, it turns every word into a list of numbers, multiplies those
lists with its weights again and again, and at the end it has a score for every word it knows. Then it picks
one of the words with a high score, writes it down, and starts again with the next word."

The baker thought about this while she kneaded the dough. Making bread was not so different, she decided: you
follow the same steps again and again, and the result depends on small things you cannot see. She asked the
computer to write a poem about bread. It wrote four lines about warm mornings, golden crust and the smell of
the oven, and the people in the shop agreed that it was not bad at all.

In the evening the young man packed his machine and went on his way. The baker closed her shop, counted the
money (there were 27 coins and 3 notes), swept the floor and went home. She made herself a cup of tea, sat by
the window and watched the boats come back to the harbour. Tomorrow she would bake again, as she had done for
20 years, and perhaps she would try the recipe the computer had not given her.

Questions people asked the model that week: What is the weather like today? How far is the moon? Can you help
me write a letter to my sister? What should I cook for dinner tonight? Why is the sky blue? Which train goes to
the city? Is it going to rain tomorrow? How many days are there in a year? Tell me a story about a cat.
The answers were short and friendly, and sometimes they were wrong, but everybody learned something new.
`
