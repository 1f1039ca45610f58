/**
 * The words seeded rows are composed from. Each course belongs to one topic and draws its title,
 * description and tags mostly from that topic's words, so courses on the same topic share
 * vocabulary and the feature-hashing embedder puts them close together: semantic search over the
 * seed has structure (clusters), not uniform noise.
 */
export interface Topic {
  tag: string;
  /** Noun phrases a course can be about; titles are built around one of them. */
  subjects: readonly string[];
  /** Words that the descriptions of the topic's courses mix in. */
  concepts: readonly string[];
}

export const TOPICS: readonly Topic[] = [
  {
    tag: "databases",
    subjects: ["PostgreSQL", "SQL Queries", "Database Design", "Query Optimization", "Transactions"],
    concepts: [
      "indexes",
      "joins",
      "vacuum",
      "schemas",
      "normalization",
      "isolation",
      "replication",
      "planner",
    ],
  },
  {
    tag: "machine-learning",
    subjects: [
      "Machine Learning",
      "Neural Networks",
      "Deep Learning",
      "Model Training",
      "Feature Engineering",
    ],
    concepts: [
      "gradients",
      "regression",
      "classification",
      "overfitting",
      "datasets",
      "tensors",
      "inference",
    ],
  },
  {
    tag: "web",
    subjects: ["Web Development", "HTML and CSS", "Frontend Frameworks", "Responsive Design", "Web APIs"],
    concepts: ["components", "browsers", "layouts", "accessibility", "routing", "forms", "rendering"],
  },
  {
    tag: "cloud",
    subjects: [
      "Kubernetes",
      "Cloud Infrastructure",
      "Containers",
      "Serverless Computing",
      "Infrastructure as Code",
    ],
    concepts: ["clusters", "pods", "autoscaling", "deployments", "networking", "terraform", "observability"],
  },
  {
    tag: "security",
    subjects: [
      "Application Security",
      "Cryptography",
      "Network Security",
      "Threat Modeling",
      "Penetration Testing",
    ],
    concepts: [
      "encryption",
      "vulnerabilities",
      "authentication",
      "firewalls",
      "exploits",
      "certificates",
      "audits",
    ],
  },
  {
    tag: "data-science",
    subjects: ["Data Analysis", "Statistics", "Data Visualization", "Pandas", "Exploratory Analysis"],
    concepts: ["distributions", "charts", "hypotheses", "sampling", "dataframes", "correlation", "notebooks"],
  },
  {
    tag: "mobile",
    subjects: ["Android Development", "iOS Development", "Mobile UX", "Cross-Platform Apps", "Swift"],
    concepts: ["screens", "gestures", "notifications", "offline", "emulators", "app-store", "sensors"],
  },
  {
    tag: "algorithms",
    subjects: [
      "Algorithms",
      "Data Structures",
      "Graph Algorithms",
      "Dynamic Programming",
      "Complexity Theory",
    ],
    concepts: ["sorting", "trees", "graphs", "recursion", "hashing", "heaps", "big-o"],
  },
  {
    tag: "finance",
    subjects: ["Personal Finance", "Investing", "Accounting", "Corporate Finance", "Financial Modeling"],
    concepts: ["budgets", "stocks", "bonds", "balance-sheets", "cash-flow", "valuation", "interest"],
  },
  {
    tag: "design",
    subjects: ["Graphic Design", "Typography", "UX Research", "Illustration", "Color Theory"],
    concepts: ["sketches", "fonts", "grids", "palettes", "prototypes", "wireframes", "contrast"],
  },
  {
    tag: "languages",
    subjects: ["Spanish", "French", "Japanese", "English Grammar", "German"],
    concepts: ["vocabulary", "pronunciation", "conversation", "verbs", "listening", "writing", "idioms"],
  },
  {
    tag: "music",
    subjects: ["Guitar", "Music Theory", "Piano", "Songwriting", "Audio Production"],
    concepts: ["chords", "scales", "rhythm", "melody", "harmony", "mixing", "recording"],
  },
  {
    tag: "cooking",
    subjects: ["Italian Cooking", "Baking Bread", "Vegetarian Cuisine", "Knife Skills", "Pastry"],
    concepts: ["recipes", "dough", "sauces", "fermentation", "ovens", "spices", "seasoning"],
  },
  {
    tag: "business",
    subjects: ["Project Management", "Marketing", "Entrepreneurship", "Negotiation", "Leadership"],
    concepts: ["strategy", "customers", "teams", "roadmaps", "pitching", "sales", "stakeholders"],
  },
  {
    tag: "health",
    subjects: ["Nutrition", "Yoga", "Strength Training", "Mindfulness", "Running"],
    concepts: ["workouts", "breathing", "muscles", "stretching", "recovery", "habits", "endurance"],
  },
  {
    tag: "photography",
    subjects: ["Photography", "Portrait Photography", "Photo Editing", "Landscape Photography", "Lighting"],
    concepts: ["exposure", "lenses", "aperture", "composition", "shutter", "lightroom", "framing"],
  },
];

export const LEVELS = ["beginner", "intermediate", "advanced"] as const;

type Title = (subject: string) => string;
/** Title patterns by level, so a beginner course is not called "Advanced ...". */
export const TITLE_PATTERNS: Record<(typeof LEVELS)[number], readonly Title[]> = {
  beginner: [
    (s) => `Introduction to ${s}`,
    (s) => `${s} for Beginners`,
    (s) => `${s} Fundamentals`,
    (s) => `${s}: a Complete Guide`,
  ],
  intermediate: [
    (s) => `${s} in Practice`,
    (s) => `Hands-on ${s}`,
    (s) => `Practical ${s}`,
    (s) => `${s}: a Complete Guide`,
  ],
  advanced: [
    (s) => `Advanced ${s}`,
    (s) => `Mastering ${s}`,
    (s) => `${s} in Depth`,
    (s) => `${s} in Practice`,
  ],
};

/** Phrasing every topic shares: the common noise real descriptions have around their subject words. */
export const DESCRIPTION_OPENERS = [
  "Learn",
  "Explore",
  "Get comfortable with",
  "Build real projects with",
  "Understand",
  "Practise",
] as const;

/** How courses are taught: words every topic shares, as real descriptions do. */
export const FORMATS = [
  "case studies",
  "quizzes",
  "a final project",
  "video lessons",
  "live sessions",
  "peer review",
  "cheat sheets",
  "guided exercises",
  "real-world examples",
  "weekly assignments",
  "a certificate",
  "mentoring",
] as const;

// Names from many languages, so display names look like a real user base (and exercise non-ASCII).
export const FIRST_NAMES = (
  "Amara Ben Chiara Dmitri Elena Farid Grace Hiroshi Ines Jonas Kavya Liam Mei Nadia Oscar Priya Quentin " +
  "Rosa Samir Tara Umar Valentina Wei Ximena Yusuf Zoe Aiko Bruno Camila Diego Emeka Freya Gabriel Hana Ivan " +
  "Julia Kofi Lucia Mateo Nora Olga Pablo Rin Sofia Tomas Uma Viktor Wanjiru"
).split(" ");

export const LAST_NAMES = (
  "Okafor Müller Rossi Ivanova García Haddad Kim Tanaka Silva Johansson Patel O'Brien Chen Nowak Dubois " +
  "Mensah Kowalski Hernández Nakamura Schmidt Novak Andersson Costa Ali Yilmaz Fischer Moreau Sato Lopez " +
  "Wang Brown Nguyen"
).split(" ");
