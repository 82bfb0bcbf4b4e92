//! Questions that are voted on: single and multiple choice, rating scales and rankings. The
//! rules for a valid answer and how results are counted; no I/O.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

super::text_enum!(
    /// What kind of answer a question asks for.
    QuestionKind {
        Discussion = "discussion" / "Written discussion",
        SingleChoice = "single_choice" / "Single choice",
        MultipleChoice = "multiple_choice" / "Multiple choice",
        Rating = "rating" / "Rating scale",
        Ranking = "ranking" / "Ranking",
    }
);

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Scale {
    /// The top of the scale; it runs from 1.
    pub max: u32,
    #[serde(default)]
    pub low: String,
    #[serde(default)]
    pub high: String,
}

/// The options of a choice or ranking question, or the scale of a rating.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PollConfig {
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub scale: Option<Scale>,
}

/// One participant's vote.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Choice(usize),
    Choices(Vec<usize>),
    Rating(u32),
    Ranking(Vec<usize>),
}

/// An option of a voted question as the vote form shows it, with the reader's current vote
/// marked, so that "Change your vote" starts from it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct BallotOption {
    pub label: String,
    /// Chosen (single or multiple choice).
    pub chosen: bool,
    /// The place given to it, from 1 (ranking).
    pub place: Option<usize>,
}

/// The vote form's options, and the rating given, for the reader's current vote (if any).
pub fn ballot(config: &PollConfig, vote: Option<&Answer>) -> (Vec<BallotOption>, Option<u32>) {
    let options = config
        .options
        .iter()
        .enumerate()
        .map(|(i, label)| BallotOption {
            label: label.clone(),
            chosen: match vote {
                Some(Answer::Choice(c)) => *c == i,
                Some(Answer::Choices(list)) => list.contains(&i),
                _ => false,
            },
            place: match vote {
                Some(Answer::Ranking(order)) => order.iter().position(|&o| o == i).map(|p| p + 1),
                _ => None,
            },
        })
        .collect();
    let rating = match vote {
        Some(Answer::Rating(r)) => Some(*r),
        _ => None,
    };
    (options, rating)
}

impl Answer {
    /// The answer in words: the options chosen ("A; C"), in ranked order ("1. B; 2. A"), or
    /// the rating ("4 of 5").
    pub fn describe(&self, config: &PollConfig) -> String {
        let option = |i: &usize| config.options.get(*i).cloned().unwrap_or_else(|| format!("option {}", i + 1));
        match self {
            Answer::Choice(i) => option(i),
            Answer::Choices(list) => list.iter().map(option).collect::<Vec<_>>().join("; "),
            Answer::Rating(r) => match &config.scale {
                Some(scale) => format!("{r} of {}", scale.max),
                None => r.to_string(),
            },
            Answer::Ranking(order) => order
                .iter()
                .enumerate()
                .map(|(n, i)| format!("{}. {}", n + 1, option(i)))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl PollConfig {
    /// Checks a question's set-up: enough options, a sensible scale.
    pub fn check(&self, kind: QuestionKind) -> Result<(), String> {
        match kind {
            QuestionKind::Discussion => Ok(()),
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice | QuestionKind::Ranking => {
                if self.options.len() < 2 {
                    return Err("Give at least two options, one per line.".into());
                }
                if self.options.len() > 20 {
                    return Err("Give at most 20 options.".into());
                }
                Ok(())
            }
            QuestionKind::Rating => match &self.scale {
                Some(s) if (2..=10).contains(&s.max) => Ok(()),
                _ => Err("A rating scale runs from 1 to between 2 and 10.".into()),
            },
        }
    }

    /// Checks one vote against the question.
    pub fn check_answer(&self, kind: QuestionKind, answer: &Answer) -> Result<(), String> {
        let n = self.options.len();
        match (kind, answer) {
            (QuestionKind::SingleChoice, Answer::Choice(i)) if *i < n => Ok(()),
            (QuestionKind::MultipleChoice, Answer::Choices(c)) => {
                if c.is_empty() {
                    Err("Choose at least one option.".into())
                } else if c.iter().any(|i| *i >= n) || has_duplicates(c) {
                    Err("The choices do not match the options.".into())
                } else {
                    Ok(())
                }
            }
            (QuestionKind::Rating, Answer::Rating(r)) => match &self.scale {
                Some(s) if (1..=s.max).contains(r) => Ok(()),
                _ => Err("The rating is outside the scale.".into()),
            },
            (QuestionKind::Ranking, Answer::Ranking(order)) => {
                let mut sorted = order.clone();
                sorted.sort_unstable();
                if sorted == (0..n).collect::<Vec<_>>() {
                    Ok(())
                } else {
                    Err("Give every item its own place in the ranking.".into())
                }
            }
            (QuestionKind::Discussion, _) => Err("This question takes written answers, not votes.".into()),
            _ => Err("This answer does not fit the kind of question.".into()),
        }
    }
}

/// Reads a vote from a submitted form: `choice` (single), `choice_<i>` checkboxes (multiple),
/// `rating`, or `rank_<i>` with each item's place from 1 (ranking).
pub fn answer_from_form(
    kind: QuestionKind,
    options: usize,
    form: &std::collections::HashMap<String, String>,
) -> Result<Answer, String> {
    let number = |key: &str| form.get(key).and_then(|v| v.trim().parse::<usize>().ok());
    match kind {
        QuestionKind::SingleChoice => {
            number("choice").map(Answer::Choice).ok_or_else(|| "Choose an option.".to_string())
        }
        QuestionKind::MultipleChoice => {
            Ok(Answer::Choices((0..options).filter(|i| form.contains_key(&format!("choice_{i}"))).collect()))
        }
        QuestionKind::Rating => {
            number("rating").map(|r| Answer::Rating(r as u32)).ok_or_else(|| "Choose a point on the scale.".to_string())
        }
        QuestionKind::Ranking => {
            let mut places: Vec<(usize, usize)> = Vec::new();
            for i in 0..options {
                let place = number(&format!("rank_{i}")).ok_or("Give every item a place.")?;
                places.push((place, i));
            }
            places.sort_unstable();
            Ok(Answer::Ranking(places.into_iter().map(|(_, i)| i).collect()))
        }
        QuestionKind::Discussion => Err("This question takes written answers, not votes.".into()),
    }
}

fn has_duplicates(v: &[usize]) -> bool {
    let mut s = v.to_vec();
    s.sort_unstable();
    s.windows(2).any(|w| w[0] == w[1])
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultRow {
    pub label: String,
    /// Votes for this option (choices), or for this point of the scale (rating).
    pub count: usize,
    /// Share of voters, 0 to 100.
    pub percent: u32,
    /// Ranking: the average place (1 is first).
    pub average_place: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Results {
    pub voters: usize,
    pub rows: Vec<ResultRow>,
    /// Rating: the average.
    pub average: Option<f64>,
}

/// Counts the current votes of a question.
pub fn tally(kind: QuestionKind, config: &PollConfig, answers: &[Answer]) -> Results {
    let voters = answers.len();
    let percent = |count: usize| (count * 100 + voters / 2).checked_div(voters).unwrap_or(0) as u32;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    match kind {
        QuestionKind::Rating => {
            let max = config.scale.as_ref().map_or(5, |s| s.max);
            let ratings: Vec<u32> =
                answers.iter().filter_map(|a| if let Answer::Rating(r) = a { Some(*r) } else { None }).collect();
            let rows = (1..=max)
                .map(|point| {
                    let count = ratings.iter().filter(|r| **r == point).count();
                    ResultRow { label: point.to_string(), count, percent: percent(count), average_place: None }
                })
                .collect();
            let average =
                (!ratings.is_empty()).then(|| round(ratings.iter().sum::<u32>() as f64 / ratings.len() as f64));
            Results { voters, rows, average }
        }
        QuestionKind::Ranking => {
            let mut rows: Vec<ResultRow> = config
                .options
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let places: Vec<usize> = answers
                        .iter()
                        .filter_map(|a| {
                            if let Answer::Ranking(order) = a {
                                order.iter().position(|x| *x == i)
                            } else {
                                None
                            }
                        })
                        .collect();
                    let first = places.iter().filter(|p| **p == 0).count();
                    let average_place = (!places.is_empty())
                        .then(|| round(places.iter().map(|p| (p + 1) as f64).sum::<f64>() / places.len() as f64));
                    ResultRow { label: label.clone(), count: first, percent: percent(first), average_place }
                })
                .collect();
            rows.sort_by(|a, b| a.average_place.unwrap_or(f64::MAX).total_cmp(&b.average_place.unwrap_or(f64::MAX)));
            Results { voters, rows, average: None }
        }
        _ => {
            let rows = config
                .options
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let count = answers
                        .iter()
                        .filter(|a| match a {
                            Answer::Choice(c) => *c == i,
                            Answer::Choices(c) => c.contains(&i),
                            _ => false,
                        })
                        .count();
                    ResultRow { label: label.clone(), count, percent: percent(count), average_place: None }
                })
                .collect();
            Results { voters, rows, average: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(n: usize) -> PollConfig {
        PollConfig { options: (0..n).map(|i| format!("O{i}")).collect(), scale: None }
    }

    #[test]
    fn answers_must_fit_the_question() {
        let c = opts(3);
        assert!(c.check_answer(QuestionKind::SingleChoice, &Answer::Choice(2)).is_ok());
        assert!(c.check_answer(QuestionKind::SingleChoice, &Answer::Choice(3)).is_err());
        assert!(c.check_answer(QuestionKind::MultipleChoice, &Answer::Choices(vec![0, 0])).is_err());
        assert!(c.check_answer(QuestionKind::Ranking, &Answer::Ranking(vec![2, 0, 1])).is_ok());
        assert!(c.check_answer(QuestionKind::Ranking, &Answer::Ranking(vec![2, 2, 1])).is_err());
        let r = PollConfig { options: vec![], scale: Some(Scale { max: 5, low: "no".into(), high: "yes".into() }) };
        assert!(r.check_answer(QuestionKind::Rating, &Answer::Rating(5)).is_ok());
        assert!(r.check_answer(QuestionKind::Rating, &Answer::Rating(0)).is_err());
        assert!(opts(1).check(QuestionKind::SingleChoice).is_err());
    }

    #[test]
    fn tallies_count_and_average() {
        let c = opts(2);
        let t = tally(QuestionKind::MultipleChoice, &c, &[Answer::Choices(vec![0, 1]), Answer::Choices(vec![0])]);
        assert_eq!((t.rows[0].count, t.rows[0].percent, t.rows[1].percent), (2, 100, 50));
        let r = PollConfig { options: vec![], scale: Some(Scale { max: 3, ..Default::default() }) };
        let t = tally(QuestionKind::Rating, &r, &[Answer::Rating(3), Answer::Rating(2)]);
        assert_eq!(t.average, Some(2.5));
        let t =
            tally(QuestionKind::Ranking, &opts(3), &[Answer::Ranking(vec![2, 0, 1]), Answer::Ranking(vec![2, 1, 0])]);
        assert_eq!((t.rows[0].label.as_str(), t.rows[0].average_place), ("O2", Some(1.0)));
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    #[test]
    fn answers_read_as_words() {
        let config = PollConfig {
            options: vec!["Calls".into(), "Visits".into()],
            scale: Some(Scale { max: 5, ..Default::default() }),
        };
        assert_eq!(Answer::Choices(vec![1, 0]).describe(&config), "Visits; Calls");
        assert_eq!(Answer::Ranking(vec![1, 0]).describe(&config), "1. Visits; 2. Calls");
        assert_eq!(Answer::Rating(4).describe(&config), "4 of 5");
    }
}
