import { randomBytes } from 'node:crypto';
import { count, inArray } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { categories, courseSections, courses, lessons } from '../catalog/schema.js';
import { enrollments } from '../enrollments/schema.js';
import { coupons } from '../payments/schema.js';
import { reviews } from '../reviews/schema.js';
import type { CourseSearchIndexer } from '../search/indexer.js';
import { hashPassword } from '../users/passwords.js';
import { users } from '../users/schema.js';

/**
 * The demo catalog of a new embedded install: two-level categories, published courses in Korean
 * and English (free and paid, KRW and USD) with curricula, enrollments and reviews, and one draft.
 * It gives the home, search and course pages something real to show on first start.
 */

type Level = 'beginner' | 'intermediate' | 'advanced' | 'all';

interface DemoCategory {
  slug: string;
  nameKo: string;
  nameEn: string;
  children: { slug: string; nameKo: string; nameEn: string }[];
}

interface DemoLesson {
  title: string;
  minutes: number;
  free?: boolean;
  body: string;
  /** A video lesson: the seed generates a short lecture and runs it through the real pipeline. */
  video?: true;
}

interface DemoCourse {
  slug: string;
  title: string;
  subtitle: string;
  description: string;
  category: string;
  level: Level;
  language: 'ko' | 'en';
  price: { amount: number; currency: 'KRW' | 'USD' };
  tags: string[];
  status: 'published' | 'draft';
  /** Days before the seed; spreads "newest" out. */
  publishedDaysAgo: number;
  sections: { title: string; lessons: DemoLesson[] }[];
  /** Demo learners (by key) enrolled, and the reviews some of them wrote. */
  enrolled: LearnerKey[];
  reviews: { by: LearnerKey; rating: number; body: string; reply?: string }[];
}

type LearnerKey = 'student' | 'minji' | 'junho' | 'emma';

/** Reviewers besides the demo student; they sign in with no known password. */
const DEMO_LEARNERS: {
  key: Exclude<LearnerKey, 'student'>;
  email: string;
  displayName: string;
  locale: 'ko' | 'en';
}[] = [
  { key: 'minji', email: 'minji@lectio.localhost', displayName: '박민지', locale: 'ko' },
  { key: 'junho', email: 'junho@lectio.localhost', displayName: '이준호', locale: 'ko' },
  { key: 'emma', email: 'emma@lectio.localhost', displayName: 'Emma Clark', locale: 'en' },
];

const INSTRUCTOR_EMAIL = 'instructor@lectio.localhost';
const STUDENT_EMAIL = 'student@lectio.localhost';
const ADMIN_EMAIL = 'admin@lectio.localhost';

/** A site-wide coupon (the checkout page's placeholder names it), made by the demo admin. */
export const DEMO_COUPON = { code: 'WELCOME10', kind: 'percent' as const, percentOff: 10 };

export const DEMO_CATEGORIES: DemoCategory[] = [
  {
    slug: 'programming',
    nameKo: '프로그래밍',
    nameEn: 'Programming',
    children: [
      { slug: 'python', nameKo: '파이썬', nameEn: 'Python' },
      { slug: 'web-development', nameKo: '웹 개발', nameEn: 'Web Development' },
    ],
  },
  {
    slug: 'data-science',
    nameKo: '데이터 과학',
    nameEn: 'Data Science',
    children: [
      { slug: 'data-analysis', nameKo: '데이터 분석', nameEn: 'Data Analysis' },
      { slug: 'machine-learning', nameKo: '머신러닝', nameEn: 'Machine Learning' },
    ],
  },
  {
    slug: 'tools',
    nameKo: '개발 도구',
    nameEn: 'Developer Tools',
    children: [{ slug: 'version-control', nameKo: '버전 관리', nameEn: 'Version Control' }],
  },
];

export const DEMO_COURSES: DemoCourse[] = [
  {
    slug: '입문자를-위한-파이썬',
    title: '입문자를 위한 파이썬',
    subtitle: '프로그래밍이 처음이어도 괜찮아요. 변수부터 함수까지 차근차근 배웁니다.',
    description: [
      '## 이 강의에서 배우는 것',
      '',
      '- 파이썬 설치와 첫 프로그램 실행',
      '- 변수, 자료형, 조건문과 반복문',
      '- 함수로 코드를 나누고 다시 쓰기',
      '',
      '코딩 경험이 **전혀 없는** 분을 위한 강의입니다.',
    ].join('\n'),
    category: 'python',
    level: 'beginner',
    language: 'ko',
    price: { amount: 0, currency: 'KRW' },
    tags: ['파이썬', 'python', '입문'],
    status: 'published',
    publishedDaysAgo: 40,
    sections: [
      {
        title: '파이썬 시작하기',
        lessons: [
          {
            title: '강의 소개 (영상)',
            minutes: 1,
            free: true,
            video: true,
            body: '이 강의에서 배울 내용을 짧은 영상으로 소개합니다.',
          },
          {
            title: '파이썬 설치하기',
            minutes: 8,
            free: true,
            body: '# 파이썬 설치하기\n\n[python.org](https://www.python.org)에서 최신 버전을 내려받으세요.\n\n```bash\npython3 --version\n```',
          },
          {
            title: '첫 번째 프로그램',
            minutes: 10,
            free: true,
            body: '# 첫 번째 프로그램\n\n```python\nprint("안녕하세요, 파이썬!")\n```\n\n실행 결과를 확인해 보세요.',
          },
        ],
      },
      {
        title: '기본 문법',
        lessons: [
          {
            title: '변수와 자료형',
            minutes: 15,
            body: '# 변수와 자료형\n\n- `int`: 정수\n- `str`: 문자열\n- `list`: 목록\n\n```python\nname = "민지"\nage = 20\n```',
          },
          {
            title: '조건문과 반복문',
            minutes: 18,
            body: '# 조건문과 반복문\n\n```python\nfor i in range(3):\n    if i % 2 == 0:\n        print(i, "짝수")\n```',
          },
          {
            title: '함수 만들기',
            minutes: 20,
            body: '# 함수 만들기\n\n`def`로 함수를 정의합니다.\n\n```python\ndef greet(name):\n    return f"안녕, {name}"\n```',
          },
        ],
      },
    ],
    enrolled: ['student', 'minji', 'junho', 'emma'],
    reviews: [
      {
        by: 'student',
        rating: 5,
        body: 'Clear explanations even though I am still learning Korean. 추천합니다!',
        reply: '감사합니다! Thank you for learning with us.',
      },
      { by: 'minji', rating: 5, body: '처음 배우는 사람에게 딱 맞는 속도예요.' },
      { by: 'junho', rating: 4, body: '예제가 많아서 좋았어요. 연습 문제가 조금 더 있으면 좋겠습니다.' },
    ],
  },
  {
    slug: '데이터분석-실전',
    title: '데이터분석 실전',
    subtitle: 'pandas와 시각화로 실제 데이터를 분석하는 프로젝트형 강의',
    description: [
      '## 실전 데이터로 배우는 분석',
      '',
      '공공 데이터를 내려받아 **정제 → 탐색 → 시각화 → 보고서**까지 한 번에 진행합니다.',
      '',
      '1. pandas로 데이터 다루기',
      '2. matplotlib로 그래프 그리기',
      '3. 분석 결과를 글로 정리하기',
    ].join('\n'),
    category: 'data-analysis',
    level: 'intermediate',
    language: 'ko',
    price: { amount: 49_000, currency: 'KRW' },
    tags: ['데이터분석', 'pandas', '시각화'],
    status: 'published',
    publishedDaysAgo: 25,
    sections: [
      {
        title: '데이터 준비',
        lessons: [
          {
            title: '분석 환경 만들기',
            minutes: 12,
            free: true,
            body: '# 분석 환경 만들기\n\n```bash\npip install pandas matplotlib\n```',
          },
          {
            title: '데이터 불러오기와 정제',
            minutes: 25,
            body: '# 데이터 정제\n\n```python\nimport pandas as pd\ndf = pd.read_csv("data.csv")\ndf = df.dropna()\n```',
          },
        ],
      },
      {
        title: '탐색과 시각화',
        lessons: [
          {
            title: '그룹별 집계',
            minutes: 22,
            body: '# 그룹별 집계\n\n`groupby`로 지역별 평균을 구해 봅니다.',
          },
          {
            title: '그래프로 보여주기',
            minutes: 24,
            body: '# 그래프\n\n> 좋은 그래프는 한 가지 메시지를 전합니다.',
          },
        ],
      },
    ],
    enrolled: ['minji', 'junho'],
    reviews: [
      { by: 'minji', rating: 4, body: '실무에 바로 쓸 수 있는 내용이 많아요.' },
      { by: 'junho', rating: 5, body: '프로젝트를 끝까지 따라 하니 자신감이 생겼습니다.' },
    ],
  },
  {
    slug: 'javascript-완벽-가이드',
    title: 'JavaScript 완벽 가이드',
    subtitle: '기초 문법부터 비동기 프로그래밍과 모던 JavaScript까지',
    description: [
      '## 모던 JavaScript의 모든 것',
      '',
      '- `let`/`const`, 화살표 함수, 구조 분해',
      '- Promise와 `async`/`await`',
      '- 모듈과 브라우저 API',
    ].join('\n'),
    category: 'web-development',
    level: 'all',
    language: 'ko',
    price: { amount: 59_000, currency: 'KRW' },
    tags: ['javascript', '자바스크립트', '웹'],
    status: 'published',
    publishedDaysAgo: 18,
    sections: [
      {
        title: 'JavaScript 기초',
        lessons: [
          {
            title: '값과 타입',
            minutes: 14,
            free: true,
            body: '# 값과 타입\n\n```js\nconst n = 42;\nconst s = "hello";\n```',
          },
          { title: '함수와 스코프', minutes: 19, body: '# 함수와 스코프\n\n클로저를 이해해 봅시다.' },
        ],
      },
      {
        title: '비동기 프로그래밍',
        lessons: [
          {
            title: 'Promise 이해하기',
            minutes: 21,
            body: '# Promise\n\n```js\nfetch("/api").then((r) => r.json());\n```',
          },
          {
            title: 'async/await',
            minutes: 17,
            body: '# async/await\n\n```js\nconst data = await (await fetch("/api")).json();\n```',
          },
        ],
      },
    ],
    enrolled: ['student', 'emma'],
    reviews: [
      { by: 'emma', rating: 4, body: 'Great structure; the async chapter finally made promises click for me.' },
    ],
  },
  {
    slug: 'practical-machine-learning-with-python',
    title: 'Practical Machine Learning with Python',
    subtitle: 'Build, evaluate and ship models with scikit-learn',
    description: [
      '## What you will build',
      '',
      'Three end-to-end projects: a price predictor, a spam classifier and a recommender.',
      '',
      '- Feature engineering that matters',
      '- Honest evaluation with cross-validation',
      '- Packaging a model behind an API',
    ].join('\n'),
    category: 'machine-learning',
    level: 'intermediate',
    language: 'en',
    price: { amount: 4_999, currency: 'USD' },
    tags: ['machine learning', 'python', 'scikit-learn'],
    status: 'published',
    publishedDaysAgo: 12,
    sections: [
      {
        title: 'Foundations',
        lessons: [
          {
            title: 'What machine learning is (and is not)',
            minutes: 11,
            free: true,
            body: '# What machine learning is\n\nA model learns a **function** from examples.',
          },
          {
            title: 'Your first model',
            minutes: 23,
            body: '# Your first model\n\n```python\nfrom sklearn.linear_model import LinearRegression\nmodel = LinearRegression().fit(X, y)\n```',
          },
        ],
      },
      {
        title: 'Evaluating models',
        lessons: [
          {
            title: 'Train, validation and test sets',
            minutes: 16,
            body: '# Splitting data\n\nNever tune on the test set.',
          },
          {
            title: 'Cross-validation',
            minutes: 19,
            body: '# Cross-validation\n\n```python\ncross_val_score(model, X, y, cv=5)\n```',
          },
        ],
      },
    ],
    enrolled: ['emma', 'junho'],
    reviews: [
      { by: 'emma', rating: 5, body: 'Practical indeed. The evaluation section alone is worth it.' },
      { by: 'junho', rating: 4, body: '영어 강의지만 코드가 명확해서 따라가기 쉬웠어요.' },
    ],
  },
  {
    slug: 'modern-web-development-with-react',
    title: 'Modern Web Development with React',
    subtitle: 'Components, hooks and routing for real applications',
    description:
      '## Learn React by building\n\nWe build a small course catalogue with **React**, routing and data fetching.',
    category: 'web-development',
    level: 'intermediate',
    language: 'en',
    price: { amount: 2_999, currency: 'USD' },
    tags: ['react', 'javascript', 'frontend'],
    status: 'published',
    publishedDaysAgo: 8,
    sections: [
      {
        title: 'Components',
        lessons: [
          {
            title: 'Thinking in components',
            minutes: 13,
            free: true,
            body: '# Thinking in components\n\nSplit the UI.',
          },
          {
            // Not a free preview: a student plays it after buying the course (the commerce e2e).
            title: 'Props and state',
            minutes: 1,
            video: true,
            body: '# Props and state\n\n```jsx\nconst [n, setN] = useState(0);\n```',
          },
        ],
      },
      {
        title: 'Applications',
        lessons: [
          { title: 'Routing', minutes: 15, body: '# Routing\n\nOne URL per screen.' },
          { title: 'Fetching data', minutes: 20, body: '# Fetching data\n\nLoading, error and empty states.' },
        ],
      },
    ],
    enrolled: [],
    reviews: [],
  },
  {
    slug: 'sql-for-data-analysis',
    title: 'SQL for Data Analysis',
    subtitle: 'Answer business questions with SELECT, JOIN and GROUP BY',
    description: '## Query with confidence\n\nFrom your first `SELECT` to window functions, with a real sales dataset.',
    category: 'data-analysis',
    level: 'beginner',
    language: 'en',
    price: { amount: 0, currency: 'USD' },
    tags: ['sql', 'data analysis', 'postgresql'],
    status: 'published',
    publishedDaysAgo: 30,
    sections: [
      {
        title: 'Querying',
        lessons: [
          {
            title: 'SELECT and WHERE',
            minutes: 12,
            free: true,
            body: '# SELECT\n\n```sql\nselect * from sales where amount > 100;\n```',
          },
          {
            title: 'Sorting and limiting',
            minutes: 9,
            body: '# ORDER BY\n\n```sql\nselect * from sales order by amount desc limit 10;\n```',
          },
        ],
      },
      {
        title: 'Combining tables',
        lessons: [
          { title: 'JOINs', minutes: 17, body: '# JOIN\n\nInner, left and full joins.' },
          {
            title: 'GROUP BY',
            minutes: 14,
            body: '# GROUP BY\n\n```sql\nselect region, sum(amount) from sales group by region;\n```',
          },
        ],
      },
    ],
    enrolled: ['student', 'minji', 'emma'],
    reviews: [
      { by: 'student', rating: 4, body: 'Short lessons, lots of practice. Exactly what I needed.' },
      { by: 'emma', rating: 3, body: 'Good basics; I hoped for more on window functions.' },
    ],
  },
  {
    slug: '딥러닝-첫걸음',
    title: '딥러닝 첫걸음',
    subtitle: '신경망의 원리를 그림과 코드로 이해하기',
    description: '## 딥러닝, 어렵지 않아요\n\n퍼셉트론부터 합성곱 신경망까지 **직관**을 먼저 쌓습니다.',
    category: 'machine-learning',
    level: 'beginner',
    language: 'ko',
    price: { amount: 39_000, currency: 'KRW' },
    tags: ['딥러닝', '신경망', 'pytorch'],
    status: 'published',
    publishedDaysAgo: 5,
    sections: [
      {
        title: '신경망의 기초',
        lessons: [
          { title: '퍼셉트론', minutes: 14, free: true, body: '# 퍼셉트론\n\n입력에 가중치를 곱해 더합니다.' },
          { title: '활성화 함수', minutes: 16, body: '# 활성화 함수\n\n- ReLU\n- Sigmoid' },
        ],
      },
      {
        title: '학습시키기',
        lessons: [
          { title: '경사 하강법', minutes: 21, body: '# 경사 하강법\n\n손실을 줄이는 방향으로 조금씩 이동합니다.' },
          { title: '첫 신경망 만들기', minutes: 25, body: '# 첫 신경망\n\n```python\nimport torch\n```' },
        ],
      },
    ],
    enrolled: ['minji'],
    reviews: [{ by: 'minji', rating: 5, body: '그림 설명이 정말 이해하기 쉬워요.' }],
  },
  {
    slug: 'git-and-github-essentials',
    title: 'Git & GitHub Essentials',
    subtitle: 'Commit, branch, merge and collaborate without fear',
    description: '## Version control for everyone\n\nLearn the everyday Git workflow and how teams review code.',
    category: 'version-control',
    level: 'beginner',
    language: 'en',
    price: { amount: 0, currency: 'USD' },
    tags: ['git', 'github', 'tools'],
    status: 'published',
    publishedDaysAgo: 2,
    sections: [
      {
        title: 'Everyday Git',
        lessons: [
          { title: 'Commits', minutes: 10, free: true, body: '# Commits\n\n```bash\ngit add -p\ngit commit\n```' },
          { title: 'Branches', minutes: 12, body: '# Branches\n\n```bash\ngit switch -c feature\n```' },
        ],
      },
      {
        title: 'Working together',
        lessons: [
          { title: 'Pull requests', minutes: 11, body: '# Pull requests\n\nSmall, focused, reviewed.' },
          { title: 'Resolving conflicts', minutes: 13, body: '# Conflicts\n\nRead both sides before choosing.' },
        ],
      },
    ],
    enrolled: ['student'],
    reviews: [],
  },
  {
    slug: '고급-파이썬-패턴',
    title: '고급 파이썬 패턴',
    subtitle: '작성 중인 강의입니다',
    description: '데코레이터, 제너레이터, 메타클래스를 다룰 예정입니다.',
    category: 'python',
    level: 'advanced',
    language: 'ko',
    price: { amount: 69_000, currency: 'KRW' },
    tags: ['파이썬', '고급'],
    status: 'draft',
    publishedDaysAgo: 0,
    sections: [
      {
        title: '데코레이터',
        lessons: [{ title: '데코레이터 기초', minutes: 15, body: '# 데코레이터\n\n작성 중입니다.' }],
      },
    ],
    enrolled: [],
    reviews: [],
  },
];

const DAY_MS = 24 * 3600 * 1000;

/**
 * Inserts the demo catalog in one transaction, and makes every published course searchable in it.
 * Does nothing when a category or course already exists, or the demo instructor is missing.
 * Returns the courses created (in DEMO_COURSES order) and their instructor, or undefined.
 */
export async function seedDemoCatalog(
  db: Db,
  indexer: CourseSearchIndexer,
  now = new Date(),
): Promise<{ instructorId: string; courses: { id: string; status: 'published' | 'draft' }[] } | undefined> {
  // Hashing is slow on purpose; done before the transaction so it holds no locks meanwhile.
  const learnerHashes = await Promise.all(DEMO_LEARNERS.map(() => hashPassword(randomBytes(24).toString('base64url'))));
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ n: count() }).from(courses);
    const [existingCategories] = await tx.select({ n: count() }).from(categories);
    if ((existing?.n ?? 0) > 0 || (existingCategories?.n ?? 0) > 0) return undefined;

    const people = await tx
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(
        inArray(users.email, [INSTRUCTOR_EMAIL, STUDENT_EMAIL, ADMIN_EMAIL, ...DEMO_LEARNERS.map((l) => l.email)]),
      );
    const byEmail = new Map(people.map((p) => [p.email, p.id]));
    const instructorId = byEmail.get(INSTRUCTOR_EMAIL);
    if (!instructorId) return undefined;

    const learnerIds = new Map<LearnerKey, string>();
    const studentId = byEmail.get(STUDENT_EMAIL);
    if (studentId) learnerIds.set('student', studentId);
    for (const [i, learner] of DEMO_LEARNERS.entries()) {
      let id = byEmail.get(learner.email);
      if (!id) {
        const [row] = await tx
          .insert(users)
          .values({
            email: learner.email,
            passwordHash: learnerHashes[i]!,
            displayName: learner.displayName,
            role: 'student',
            locale: learner.locale,
            status: 'active',
            emailVerifiedAt: now,
            termsAcceptedAt: now,
            privacyAcceptedAt: now,
          })
          .returning({ id: users.id });
        id = row!.id;
      }
      learnerIds.set(learner.key, id);
    }

    const categoryIds = new Map<string, string>();
    for (const [position, top] of DEMO_CATEGORIES.entries()) {
      const [parent] = await tx
        .insert(categories)
        .values({ slug: top.slug, nameKo: top.nameKo, nameEn: top.nameEn, position })
        .returning({ id: categories.id });
      categoryIds.set(top.slug, parent!.id);
      for (const [childPosition, child] of top.children.entries()) {
        const [row] = await tx
          .insert(categories)
          .values({ ...child, parentId: parent!.id, position: childPosition })
          .returning({ id: categories.id });
        categoryIds.set(child.slug, row!.id);
      }
    }

    const created: { id: string; status: 'published' | 'draft' }[] = [];
    for (const demo of DEMO_COURSES) {
      const enrolled = demo.enrolled.flatMap((key) => (learnerIds.has(key) ? [learnerIds.get(key)!] : []));
      const written = demo.reviews.filter((r) => learnerIds.has(r.by) && demo.enrolled.includes(r.by));
      const ratingCount = written.length;
      const ratingAverage = ratingCount
        ? Math.round((written.reduce((sum, r) => sum + r.rating, 0) / ratingCount) * 100) / 100
        : 0;
      const publishedAt = demo.status === 'published' ? new Date(now.getTime() - demo.publishedDaysAgo * DAY_MS) : null;
      const [course] = await tx
        .insert(courses)
        .values({
          instructorId,
          categoryId: categoryIds.get(demo.category) ?? null,
          slug: demo.slug,
          title: demo.title,
          subtitle: demo.subtitle,
          description: demo.description,
          level: demo.level,
          language: demo.language,
          priceAmount: demo.price.amount,
          currency: demo.price.currency,
          tags: demo.tags,
          status: demo.status,
          ratingAverage,
          ratingCount,
          enrollmentCount: enrolled.length,
          publishedAt,
          createdAt: publishedAt ?? now,
          updatedAt: publishedAt ?? now,
        })
        .returning({ id: courses.id });
      const courseId = course!.id;
      created.push({ id: courseId, status: demo.status });

      for (const [sectionPosition, section] of demo.sections.entries()) {
        const [sectionRow] = await tx
          .insert(courseSections)
          .values({ courseId, title: section.title, position: sectionPosition })
          .returning({ id: courseSections.id });
        await tx.insert(lessons).values(
          section.lessons.map((lesson, position) => ({
            courseId,
            sectionId: sectionRow!.id,
            title: lesson.title,
            type: lesson.video ? ('video' as const) : ('text' as const),
            position,
            isFreePreview: lesson.free ?? false,
            durationSeconds: lesson.minutes * 60,
            body: lesson.body,
          })),
        );
      }

      if (enrolled.length) {
        await tx.insert(enrollments).values(
          enrolled.map((userId) => ({
            userId,
            courseId,
            // Paid courses have no checkout yet (commerce issue): their demo learners were granted.
            source: demo.price.amount === 0 ? ('free' as const) : ('admin' as const),
            createdAt: publishedAt ?? now,
          })),
        );
      }
      if (written.length) {
        await tx.insert(reviews).values(
          written.map((review, i) => ({
            courseId,
            userId: learnerIds.get(review.by)!,
            rating: review.rating,
            body: review.body,
            instructorReply: review.reply ?? null,
            repliedAt: review.reply ? now : null,
            createdAt: new Date(now.getTime() - i * 3600 * 1000),
            updatedAt: new Date(now.getTime() - i * 3600 * 1000),
          })),
        );
      }
      await indexer.syncCourse(tx, courseId);
    }
    // Site-wide coupons are an admin's to make; without the demo admin there is none.
    const adminId = byEmail.get(ADMIN_EMAIL);
    if (adminId) await tx.insert(coupons).values({ ...DEMO_COUPON, createdBy: adminId, createdAt: now });
    return { instructorId, courses: created };
  });
}
